#!/usr/bin/env python3
"""Dynamic int8 quantisation of a GLiNER ONNX file (any GLiNER export: ours or the hub's).

    python3 native-models/quantize.py native-models/gliner-tiny/model.onnx
    python3 native-models/quantize.py IN.onnx OUT.onnx [--per-channel] [--ops MatMul,Gather]

Writes OUT (default: model_int8.onnx next to IN), the name src/model/files.ts picks for
MODEL_QUANTIZATION=int8. Weights of the listed operators become int8 (signed, QInt8); activations
stay float and are quantised on the fly at run time (dynamic quantisation: no calibration data).
What it needs: `onnxruntime` and `onnx` from pip (see native-models/README.md, "int8").
"""
from __future__ import annotations

import argparse
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('input', help='fp32 GLiNER ONNX file')
    parser.add_argument('output', nargs='?', help='int8 file to write (default: model_int8.onnx beside the input)')
    parser.add_argument('--ops', default='MatMul,Gemm,Gather', help='operator types whose weights are quantised (default MatMul,Gemm,Gather)')
    parser.add_argument('--per-channel', action='store_true', help='one scale per output channel (more accurate, slower on some CPUs)')
    args = parser.parse_args()

    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        print('quantize.py needs onnxruntime and onnx: pip install --index-url "$(pip config get global.extra-index-url)" onnxruntime onnx', file=sys.stderr)
        return 2

    output = args.output or os.path.join(os.path.dirname(os.path.abspath(args.input)), 'model_int8.onnx')
    quantize_dynamic(
        args.input,
        output,
        weight_type=QuantType.QInt8,
        per_channel=args.per_channel,
        op_types_to_quantize=[op for op in args.ops.split(',') if op],
    )
    before = os.path.getsize(args.input)
    after = os.path.getsize(output)
    print(f'{output}: {after / 1e6:.1f} MB (fp32 {before / 1e6:.1f} MB, {after / before:.2f}x)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
