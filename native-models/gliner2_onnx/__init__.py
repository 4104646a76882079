"""Our GLiNER2 ONNX export (native-models/export_gliner2.py): random models, the graphs, their checks."""
