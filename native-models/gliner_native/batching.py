"""Builds the exact ONNX inputs of GLINER_SPEC §2/§3.1 from (words, labels)."""
import torch

K_DEFAULT = 12


def encode_row(tok, words, labels, ent="<<ENT>>", sep="<<SEP>>"):
    prompt = []
    for lab in labels:
        prompt += [ent, lab]
    prompt.append(sep)
    ids, wmask = [1], [0]
    j = 0
    for item in prompt:
        ids += tok.word_ids(item)
        wmask += [0] * len(tok.word_ids(item))
    for wd in words:
        p = tok.word_ids(wd)
        if p:
            j += 1
            wmask += [j] + [0] * (len(p) - 1)
            ids += p
    ids.append(2)
    wmask.append(0)
    return ids, wmask, j


def collate(tok, rows, max_width=K_DEFAULT):
    """rows: list of (words, labels). Returns dict of tensors (ONNX input names) + per-row L, C."""
    enc = [encode_row(tok, w, l) for w, l in rows]
    b = len(rows)
    t = max(len(e[0]) for e in enc)
    lens = [e[2] for e in enc]
    w = max(max(lens), 1)
    input_ids = torch.zeros(b, t, dtype=torch.long)
    attn = torch.zeros(b, t, dtype=torch.long)
    wm = torch.zeros(b, t, dtype=torch.long)
    for i, (ids, m, _) in enumerate(enc):
        input_ids[i, :len(ids)] = torch.tensor(ids)
        attn[i, :len(ids)] = 1
        wm[i, :len(m)] = torch.tensor(m)
    starts = torch.arange(w).repeat_interleave(max_width)
    widths = torch.arange(max_width).repeat(w)
    span_idx = torch.stack([starts, starts + widths], -1).unsqueeze(0).repeat(b, 1, 1)
    L = torch.tensor(lens).view(b, 1)
    span_mask = (starts + widths).unsqueeze(0) < L
    span_idx = span_idx * span_mask.unsqueeze(-1)  # padding spans -> (0,0)
    return {"input_ids": input_ids, "attention_mask": attn, "words_mask": wm,
            "text_lengths": L, "span_idx": span_idx, "span_mask": span_mask}, lens


def greedy_flat(cands):
    """cands: list of (start, end, cls, score) in row-major order -> accepted, sorted by start."""
    order = sorted(range(len(cands)), key=lambda i: -cands[i][3])
    acc = []
    for i in order:
        s, e = cands[i][0], cands[i][1]
        if all(s > a[1] or a[0] > e for a in acc):
            acc.append(cands[i])
    return sorted(acc, key=lambda a: a[0])


def decode(logits, lens, ncls, threshold=0.5):
    """logits [B,W,K,C] -> per row list of (start, end, cls, score)."""
    p = torch.sigmoid(logits.float())
    out = []
    for b in range(p.shape[0]):
        idx = torch.nonzero(p[b] > threshold).tolist()
        cands = [(i, i + k, c, float(p[b, i, k, c])) for i, k, c in idx
                 if i + k + 1 <= lens[b] and c < ncls[b]]
        out.append(greedy_flat(cands))
    return out
