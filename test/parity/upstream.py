"""Load GLiNER's own Python code (urchade/GLiNER) from a checkout, without `transformers`.

`transformers` (and `safetensors`) cannot be installed on this machine image, and GLiNER's modules
import them at load time. Only two things from them are used on the inference path we run:
- `transformers.utils.ModelOutput`, the base of GLiNER's ONNX output objects: shimmed below with the
  behaviour GLiNER relies on (keyword construction, attribute access, `out[0]` = first non-None field);
- the fast tokenizer's call (`tokenizer(word_lists, is_split_into_words=True, ...)` and `.word_ids(i)`):
  `RustTokenizer` below runs the Rust `tokenizers` library the same way transformers does
  (`encode_batch` of pre-tokenized input, [CLS] … [SEP] from the tokenizer.json post-processor,
  right padding with the pad id, word ids from the encoding).
Every other name GLiNER imports from those libraries is a placeholder class that is never called.
Nothing of GLiNER is copied here: everything else is imported from the checkout.
"""
import importlib.abc
import importlib.machinery
import os
import sys
import types
from collections import OrderedDict

STUBBED = ("transformers", "safetensors", "peft", "accelerate")


class _PlaceholderMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        # Module-level registrations such as CONFIG_MAPPING.update(...) at import time: no-ops.
        return lambda *args, **kwargs: None


class _Placeholder(metaclass=_PlaceholderMeta):
    """Stands in for a class or function GLiNER imports but never uses on the inference path."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError("a transformers/safetensors placeholder was called: the shim is incomplete")

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        raise RuntimeError("from_pretrained is not available without transformers")


class ModelOutput(OrderedDict):
    """The part of transformers.utils.ModelOutput that GLiNER's ONNX path uses."""

    def __post_init__(self):
        for field in getattr(self, "__dataclass_fields__", {}):
            value = getattr(self, field)
            if value is not None:
                self[field] = value

    def __getitem__(self, key):
        if isinstance(key, str):
            return dict(self.items())[key]
        return tuple(self.values())[key]

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name in getattr(self, "__dataclass_fields__", {}) and value is not None:
            super().__setitem__(name, value)


class _StubModule(types.ModuleType):
    def __init__(self, name):
        super().__init__(name)
        self.__path__ = []
        self.__version__ = "0.0.0-shim"

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "ModelOutput":
            return ModelOutput
        value = type(name, (_Placeholder,), {})
        setattr(self, name, value)
        return value


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return _StubModule(spec.name)

    def exec_module(self, module):
        pass


def load_gliner(checkout):
    """Import gliner.model and friends from `checkout` (the repository root of urchade/GLiNER)."""
    if not os.path.isfile(os.path.join(checkout, "gliner", "model.py")):
        raise SystemExit(f"{checkout} is not a GLiNER checkout (no gliner/model.py)")
    sys.meta_path.insert(0, _StubFinder())
    sys.path.insert(0, checkout)
    import gliner.model as model  # noqa: E402
    from gliner.data_processing import UniEncoderSpanProcessor, WordsSplitter  # noqa: E402
    from gliner.data_processing.collator import SpanDataCollator  # noqa: E402
    from gliner.decoding import SpanDecoder  # noqa: E402
    from gliner.onnx.model import UniEncoderSpanORTModel  # noqa: E402

    return types.SimpleNamespace(
        module=model,
        UniEncoderSpanGLiNER=model.UniEncoderSpanGLiNER,
        UniEncoderSpanProcessor=UniEncoderSpanProcessor,
        WordsSplitter=WordsSplitter,
        SpanDataCollator=SpanDataCollator,
        SpanDecoder=SpanDecoder,
        UniEncoderSpanORTModel=UniEncoderSpanORTModel,
        version=sys.modules["gliner"].__version__,
    )


class _Encoded(dict):
    """What transformers' BatchEncoding gives GLiNER: tensors by key, and word_ids(i)."""

    def __init__(self, data, word_ids):
        super().__init__(data)
        self._word_ids = word_ids

    def word_ids(self, i):
        return self._word_ids[i]


class RustTokenizer:
    """The transformers fast-tokenizer call GLiNER makes, on the Rust `tokenizers` library."""

    def __init__(self, tokenizer_json_path, tokenizer_config):
        import tokenizers

        self.tok = tokenizers.Tokenizer.from_file(tokenizer_json_path)
        self.tok.no_truncation()  # model_max_length is 1e30 in GLiNER-saved configs: truncation=True is a no-op
        self.tok.no_padding()
        self.unk_token = tokenizer_config.get("unk_token", "[UNK]")
        self.pad_token = tokenizer_config.get("pad_token", "[PAD]")
        self.eos_token = tokenizer_config.get("eos_token")
        self.pad_token_id = self.tok.token_to_id(self.pad_token)

    def __len__(self):
        return self.tok.get_vocab_size(with_added_tokens=True)

    def __call__(self, word_lists, is_split_into_words=False, return_tensors="pt", truncation=True, padding="longest"):
        import torch

        # Pre-tokenized word lists (the text), or plain strings (a bi-encoder's labels_tokenizer call).
        assert return_tensors == "pt" and padding == "longest"
        encodings = self.tok.encode_batch(word_lists, is_pretokenized=is_split_into_words, add_special_tokens=True)
        width = max(len(e.ids) for e in encodings)
        ids, mask, word_ids = [], [], []
        for e in encodings:
            pad = width - len(e.ids)
            ids.append(list(e.ids) + [self.pad_token_id] * pad)
            mask.append([1] * len(e.ids) + [0] * pad)
            word_ids.append(list(e.word_ids) + [None] * pad)
        data = {"input_ids": torch.tensor(ids, dtype=torch.long), "attention_mask": torch.tensor(mask, dtype=torch.long)}
        return _Encoded(data, word_ids)
