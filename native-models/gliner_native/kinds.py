"""Random-weight models of the other GLiNER kinds, with the ONNX interface upstream's export gives them.

Upstream (urchade/GLiNER at c2bb58ddf569480ef7a9de03bef653723a42f5c2) cannot be run here to export
(its encoders come from `transformers`, which is not installable), so the interface is taken from
its source and the layers after the encoder are written from it:

UniEncoderToken (span_mode "token_level"):
  - inputs, names and order: UniEncoderTokenGLiNER._get_onnx_input_spec in gliner/model.py:
    input_ids, attention_mask, words_mask [B, T] int64, text_lengths [B, 1] int64;
  - output `logits`, [B, W, C, 3] float32: UniEncoderTokenModel.forward returns the Scorer's output
    (gliner/modeling/base.py; gliner/modeling/scorers.py: "(batch_size, seq_len, num_classes, 3)",
    start/end/inside), and TokenDecoder.decode reads it with permute(3, 0, 1, 2);
  - W is text_lengths.max() (extract_word_embeddings), C the most <<ENT>> prompts in a row;
  - the token model has no prompt projection (only the span model builds prompt_rep_layer).
The encoder, word pooling, prompt extraction and BiLSTM are the embedded model's (model.py).

BiEncoderSpan (a config with `labels_encoder`, span mode), as two graphs:
  - model.onnx: upstream's export with `from_labels_embeddings=True`
    (BaseBiEncoderGLiNER._prepare_onnx_batch): the six span inputs of BiEncoderSpanGLiNER
    (_get_base_input_names) then `labels_embeddings` [C, D] float32 (_get_embedding_input_name,
    _get_embedding_dynamic_axes); output `logits` [B, W, K, C]. BiEncoderSpanModel.forward: the text
    alone through the encoder (no label prompt: BaseBiEncoderProcessor.tokenize_inputs), word
    pooling, BiLSTM, span representation; the [C, D] embeddings are shared by every row
    (get_representations: unsqueeze(0).expand(B, ...)), go through prompt_rep_layer, einsum with spans.
  - labels_encoder.onnx: upstream exports none (encode_labels runs in PyTorch), so this is our own
    graph of BiEncoder.encode_labels: the label encoder over labels_input_ids / attention_mask,
    (labels_projection when sizes differ), mean pooling over the attention mask -> `labels_embeddings`
    [N, D]. Inputs `input_ids`, `attention_mask` [N, S] int64.
"""
import torch
import torch.nn as nn

from .model import Encoder, LstmLayer, SpanRepLayer, TokenRepLayer, mlp


class TokenScorer(nn.Module):
    """Upstream's Scorer: token and label projections to 2D, [t0, l0, t1*l1] -> MLP -> 3 scores."""

    def __init__(self, d, dropout):
        super().__init__()
        self.proj_token = nn.Linear(d, d * 2)
        self.proj_label = nn.Linear(d, d * 2)
        self.out_mlp = nn.Sequential(nn.Linear(d * 3, d * 4), nn.Dropout(dropout), nn.ReLU(), nn.Linear(d * 4, 3))

    def forward(self, words, labels):
        b, w, d = words.shape
        c = labels.shape[1]
        t = self.proj_token(words).view(b, w, 1, 2, d).expand(b, w, c, 2, d)
        lab = self.proj_label(labels).view(b, 1, c, 2, d).expand(b, w, c, 2, d)
        cat = torch.cat([t[:, :, :, 0], lab[:, :, :, 0], t[:, :, :, 1] * lab[:, :, :, 1]], dim=-1)
        return self.out_mlp(cat)  # [B, W, C, 3]


class GlinerTinyToken(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg["hidden_size"]
        self.class_token_index = cfg["class_token_index"]
        self.token_rep_layer = TokenRepLayer(cfg)
        self.rnn = LstmLayer(d)
        self.scorer = TokenScorer(d, cfg["dropout"])

    def forward(self, input_ids, attention_mask, words_mask, text_lengths):
        tok = self.token_rep_layer(input_ids, attention_mask)  # [B,T,D]
        w = text_lengths.max()
        widx = torch.arange(w, device=input_ids.device).view(1, -1, 1) + 1
        words = torch.matmul((words_mask.unsqueeze(1) == widx).to(tok.dtype), tok)  # [B,W,D]
        ent = (input_ids == self.class_token_index).long()
        cum = torch.cumsum(ent, dim=1)
        cidx = torch.arange(cum[:, -1].max(), device=input_ids.device).view(1, -1, 1) + 1
        prompts = torch.matmul(((cum.unsqueeze(1) == cidx) & (ent.unsqueeze(1) == 1)).to(tok.dtype), tok)  # [B,C,D]
        words = self.rnn(words, text_lengths.view(-1))
        return self.scorer(words, prompts)


TOKEN_INPUTS = ["input_ids", "attention_mask", "words_mask", "text_lengths"]
TOKEN_AXES = {
    "input_ids": {0: "batch_size", 1: "sequence_length"},
    "attention_mask": {0: "batch_size", 1: "sequence_length"},
    "words_mask": {0: "batch_size", 1: "sequence_length"},
    "text_lengths": {0: "batch_size"},
    "logits": {0: "batch_size", 1: "num_words", 2: "num_classes"},
}


class GlinerTinyBiSpan(nn.Module):
    """The text graph of a span bi-encoder, fed label embeddings [C, D]."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.max_width = cfg["max_width"]
        self.token_rep_layer = TokenRepLayer(cfg)
        self.rnn = LstmLayer(d)
        self.span_rep_layer = SpanRepLayer(d, self.max_width, cfg["dropout"])
        self.prompt_rep_layer = mlp(d, d, cfg["dropout"])

    def forward(self, input_ids, attention_mask, words_mask, text_lengths, span_idx, span_mask, labels_embeddings):
        tok = self.token_rep_layer(input_ids, attention_mask)
        b = input_ids.shape[0]
        w = span_idx.shape[1] // self.max_width
        widx = torch.arange(w, device=input_ids.device).view(1, -1, 1) + 1
        words = torch.matmul((words_mask.unsqueeze(1) == widx).to(tok.dtype), tok)
        words = self.rnn(words, text_lengths.view(-1))
        span_idx = span_idx * span_mask.unsqueeze(-1).long()
        spans = self.span_rep_layer.span_rep_layer(words, span_idx)  # [B,W,K,D]
        labels = labels_embeddings.unsqueeze(0).expand(b, -1, -1)
        prompts = self.prompt_rep_layer(labels)
        return torch.einsum("bwkd,bcd->bwkc", spans, prompts)


class LabelEncoder(nn.Module):
    """BiEncoder.encode_labels: a (small) transformer over the label's tokens, then mean pooling."""

    def __init__(self, cfg):
        super().__init__()
        self.model = Encoder(cfg["vocab_size"], cfg["hidden_size"], 2, 4, cfg["hidden_size"] * 4, 0.1)

    def forward(self, input_ids, attention_mask):
        h = self.model(input_ids, attention_mask)
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return torch.sum(h * m, 1) / torch.clamp(m.sum(1), min=1e-9)


BI_SPAN_INPUTS = ["input_ids", "attention_mask", "words_mask", "text_lengths", "span_idx", "span_mask", "labels_embeddings"]
BI_SPAN_AXES = {
    "input_ids": {0: "batch_size", 1: "sequence_length"},
    "attention_mask": {0: "batch_size", 1: "sequence_length"},
    "words_mask": {0: "batch_size", 1: "sequence_length"},
    "text_lengths": {0: "batch_size"},
    "span_idx": {0: "batch_size", 1: "num_spans"},
    "span_mask": {0: "batch_size", 1: "num_spans"},
    "labels_embeddings": {0: "num_labels"},
    "logits": {0: "batch_size", 1: "num_words", 3: "num_classes"},
}
class GlinerTinyBiToken(nn.Module):
    """The text graph of a token bi-encoder (BiEncoderTokenModel: the token Scorer over the words and
    the label embeddings [C, D], shared by every row; no prompt projection, as in the uni token model)."""

    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.token_rep_layer = TokenRepLayer(cfg)
        self.rnn = LstmLayer(d)
        self.scorer = TokenScorer(d, cfg["dropout"])

    def forward(self, input_ids, attention_mask, words_mask, text_lengths, labels_embeddings):
        tok = self.token_rep_layer(input_ids, attention_mask)
        widx = torch.arange(text_lengths.max(), device=input_ids.device).view(1, -1, 1) + 1
        words = torch.matmul((words_mask.unsqueeze(1) == widx).to(tok.dtype), tok)
        words = self.rnn(words, text_lengths.view(-1))
        labels = labels_embeddings.unsqueeze(0).expand(input_ids.shape[0], -1, -1)
        return self.scorer(words, labels)


BI_TOKEN_INPUTS = TOKEN_INPUTS + ["labels_embeddings"]
BI_TOKEN_AXES = dict(TOKEN_AXES, labels_embeddings={0: "num_labels"})
LABEL_ENCODER_INPUTS = ["input_ids", "attention_mask"]
LABEL_ENCODER_AXES = {
    "input_ids": {0: "num_labels", 1: "label_seq_length"},
    "attention_mask": {0: "num_labels", 1: "label_seq_length"},
    "labels_embeddings": {0: "num_labels"},
}
