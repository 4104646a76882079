"""GLiNER span-mode (markerV0) look-alike, written from GLINER_SPEC §5.

Stages: encoder -> (projection if hidden_size != d_model) -> first-sub-token word pooling via
words_mask -> prompt vectors at <<ENT>> positions -> BiLSTM over words (packed) -> markerV0 span
representation -> prompt MLP -> dot-product scores [B, W, K, C]. State-dict names follow GLiNER's."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(d_in, d_out, dropout, mult=4):
    # indices 0 and 3 are the Linear layers, as in GLiNER's create_projection_layer
    return nn.Sequential(nn.Linear(d_in, d_out * mult), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(d_out * mult, d_out))


class SelfAttention(nn.Module):
    def __init__(self, d, heads, dropout):
        super().__init__()
        self.h = heads
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)
        self.out = nn.Linear(d, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias):
        b, t, d = x.shape
        hd = d // self.h
        q = self.query(x).view(b, t, self.h, hd).transpose(1, 2)
        k = self.key(x).view(b, t, self.h, hd).transpose(1, 2)
        v = self.value(x).view(b, t, self.h, hd).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(hd)) + bias
        att = self.drop(torch.softmax(att, dim=-1))
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d)
        return self.out(y)


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attention = SelfAttention(d, heads, dropout)
        self.ln2 = nn.LayerNorm(d)
        self.intermediate = nn.Linear(d, ffn)
        self.output = nn.Linear(ffn, d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias):
        x = x + self.drop(self.attention(self.ln1(x), bias))
        x = x + self.drop(self.output(F.gelu(self.intermediate(self.ln2(x)))))
        return x


class Encoder(nn.Module):
    """Small pre-LN transformer; sinusoidal absolute positions computed in-graph (no length cap)."""

    def __init__(self, vocab_size, d, layers, heads, ffn, dropout):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, d, padding_idx=0)
        self.emb_ln = nn.LayerNorm(d)
        self.layer = nn.ModuleList([EncoderLayer(d, heads, ffn, dropout) for _ in range(layers)])
        self.final_ln = nn.LayerNorm(d)
        self.drop = nn.Dropout(dropout)
        self.register_buffer("inv_freq", torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d)),
                             persistent=False)

    def forward(self, input_ids, attention_mask):
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(1).float() * self.inv_freq.unsqueeze(0)
        pe = torch.cat([torch.sin(pos), torch.cos(pos)], dim=-1)
        x = self.word_embeddings(input_ids) + pe.unsqueeze(0)
        x = self.drop(self.emb_ln(x))
        bias = (1.0 - attention_mask.to(x.dtype)).unsqueeze(1).unsqueeze(1) * -10000.0
        for layer in self.layer:
            x = layer(x, bias)
        return self.final_ln(x)


class BertLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.model = Encoder(cfg["vocab_size"], cfg["encoder_hidden_size"], cfg["encoder_num_layers"],
                             cfg["encoder_num_heads"], cfg["encoder_intermediate_size"], cfg["dropout_encoder"])


class TokenRepLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.bert_layer = BertLayer(cfg)
        if cfg["hidden_size"] != cfg["encoder_hidden_size"]:
            self.projection = nn.Linear(cfg["encoder_hidden_size"], cfg["hidden_size"])
        else:
            self.projection = None

    def forward(self, input_ids, attention_mask):
        h = self.bert_layer.model(input_ids, attention_mask)
        return self.projection(h) if self.projection is not None else h


class LstmLayer(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.lstm = nn.LSTM(d, d // 2, num_layers=1, batch_first=True, bidirectional=True)

    def forward(self, x, lengths):
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
        if not torch.onnx.is_in_onnx_export() and out.shape[1] < x.shape[1]:
            out = F.pad(out, (0, 0, 0, x.shape[1] - out.shape[1]))
        return out


class SpanMarkerV0(nn.Module):
    def __init__(self, d, max_width, dropout):
        super().__init__()
        self.max_width = max_width
        self.project_start = mlp(d, d, dropout)
        self.project_end = mlp(d, d, dropout)
        self.out_project = mlp(2 * d, d, dropout)

    def forward(self, h, span_idx):
        b, w, d = h.shape
        start = self.project_start(h)
        end = self.project_end(h)
        s = torch.gather(start, 1, span_idx[:, :, 0].unsqueeze(-1).expand(-1, -1, d))
        e = torch.gather(end, 1, span_idx[:, :, 1].unsqueeze(-1).expand(-1, -1, d))
        cat = torch.relu(torch.cat([s, e], dim=-1))
        return self.out_project(cat).view(b, w, self.max_width, d)


class SpanRepLayer(nn.Module):
    def __init__(self, d, max_width, dropout):
        super().__init__()
        self.span_rep_layer = SpanMarkerV0(d, max_width, dropout)


class GlinerTiny(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        d = cfg["hidden_size"]
        self.max_width = cfg["max_width"]
        self.class_token_index = cfg["class_token_index"]
        self.token_rep_layer = TokenRepLayer(cfg)
        self.rnn = LstmLayer(d)
        self.span_rep_layer = SpanRepLayer(d, self.max_width, cfg["dropout"])
        self.prompt_rep_layer = mlp(d, d, cfg["dropout"])

    def encode(self, input_ids, attention_mask, words_mask, text_lengths, span_idx):
        tok = self.token_rep_layer(input_ids, attention_mask)  # [B,T,D]
        w = span_idx.shape[1] // self.max_width
        # word pooling: one-hot [B,W,T] of (words_mask == j+1), first sub-token carries the index
        widx = torch.arange(w, device=input_ids.device).view(1, -1, 1) + 1
        sel = (words_mask.unsqueeze(1) == widx).to(tok.dtype)
        words = torch.matmul(sel, tok)  # [B,W,D]
        # prompts: token vectors at <<ENT>> positions, in order, zero-padded to C = max count
        ent = (input_ids == self.class_token_index).long()
        cum = torch.cumsum(ent, dim=1)
        c = cum[:, -1].max()
        cidx = torch.arange(c, device=input_ids.device).view(1, -1, 1) + 1
        psel = ((cum.unsqueeze(1) == cidx) & (ent.unsqueeze(1) == 1)).to(tok.dtype)
        prompts = torch.matmul(psel, tok)  # [B,C,D]
        words = self.rnn(words, text_lengths.view(-1))
        return words, prompts

    def forward(self, input_ids, attention_mask, words_mask, text_lengths, span_idx, span_mask):
        words, prompts = self.encode(input_ids, attention_mask, words_mask, text_lengths, span_idx)
        span_idx = span_idx * span_mask.unsqueeze(-1).long()
        spans = self.span_rep_layer.span_rep_layer(words, span_idx)  # [B,W,K,D]
        prompts = self.prompt_rep_layer(prompts)  # [B,C,D]
        return torch.einsum("bwkd,bcd->bwkc", spans, prompts)

    def forward_fast(self, input_ids, attention_mask, words_mask, text_lengths, span_idx, span_mask):
        """Same function as forward (up to float rounding), cheaper for training: the first
        out_project Linear is split over the (already ReLU'd) start/end halves and applied per word,
        and the last Linear is folded into the prompt vectors."""
        words, prompts = self.encode(input_ids, attention_mask, words_mask, text_lengths, span_idx)
        m = self.span_rep_layer.span_rep_layer
        b, w, d = words.shape
        span_idx = span_idx * span_mask.unsqueeze(-1).long()
        l0, l3 = m.out_project[0], m.out_project[3]
        a = F.linear(torch.relu(m.project_start(words)), l0.weight[:, :d])  # [B,W,4D]
        z = F.linear(torch.relu(m.project_end(words)), l0.weight[:, d:], l0.bias)
        h4 = a.shape[-1]
        hs = torch.gather(a, 1, span_idx[:, :, 0].unsqueeze(-1).expand(-1, -1, h4))
        he = torch.gather(z, 1, span_idx[:, :, 1].unsqueeze(-1).expand(-1, -1, h4))
        hid = torch.relu(hs + he)  # [B,S,4D] (no dropout here: it is the largest tensor; speed)
        p = self.prompt_rep_layer(prompts)  # [B,C,D]
        q = torch.matmul(p, l3.weight)  # [B,C,4D]
        qb = torch.matmul(p, l3.bias)  # [B,C]
        logits = torch.matmul(hid, q.transpose(1, 2)) + qb.unsqueeze(1)
        return logits.view(b, w, self.max_width, -1)


def count_params(model):
    return sum(p.numel() for p in model.parameters())
