"""Trains the tiny GLiNER look-alike on CrossNER train splits (CoNLL-2003 when $CONLL_DIR has it, + 5 domains).

Two recipes: `--recipe sentences` (the shipped gliner-tiny v1: one sentence per example, CrossNER label
names with a few spellings) and `--recipe passages` (v2: passages of consecutive sentences up to
`--max-words`, every type in several phrasings with sampled negatives and positive-label dropout,
emoji/symbol/foreign-script augmentation; see passages.py, labels.py, augment.py).
`--leave-out DOMAIN` trains without that domain and without its own label names, for an honest
zero-shot figure on its test set. `--time-budget` ends training (and decays the learning rate) by
wall-clock time, so a run fits a fixed GPU lease."""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

from . import tokenizer as T
from .batching import collate
from .configs import TINY
from . import augment as A
from . import labels as LB
from .data import available_domains, label_sets, load_docs, load_split, make_example
from .evaluate import evaluate
from .passages import make_passages
from .model import GlinerTiny, count_params

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def status(msg):
    os.makedirs(os.path.join(ROOT, ".cache"), exist_ok=True)
    line = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + " " + msg
    with open(os.path.join(ROOT, ".cache", "STATUS"), "a") as f:
        f.write(line + "\n")
    print(line, flush=True)


def load_trained(ckpt_path):
    """A checkpoint (fp32, or the fp16 copy train-gpu.sh returns) as an fp32 model and its tokenizer;
    the spm.model beside the checkpoint wins when the recorded path is from another machine."""
    ck = torch.load(ckpt_path, map_location="cpu")
    model = GlinerTiny(ck["cfg"])
    model.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in ck["state_dict"].items()})
    model.eval()
    spm_path = ck["spm_path"]
    beside = os.path.join(os.path.dirname(os.path.abspath(ckpt_path)), "spm.model")
    if not os.path.exists(spm_path) and os.path.exists(beside):
        spm_path = beside
    tok = T.WordTokenizer(spm_path, ck["added_ids"])
    return model, tok


def batches_of(exs, rng, batch_size):
    rng.shuffle(exs)
    batches = []
    chunk = batch_size * 50
    for s in range(0, len(exs), chunk):
        part = sorted(exs[s:s + chunk], key=lambda x: len(x[0]) + 3 * len(x[1]))
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def make_batches(data, lsets, all_labels, rng, batch_size, domain_repeat, pos_drop=0.0):
    """v1 recipe: one example per sentence."""
    exs = []
    for d in data:
        for _ in range(1 if d == "conll2003" else domain_repeat):
            for words, spans in data[d]:
                names, tsp = make_example(words, spans, d, lsets[d], all_labels, rng, pos_drop=pos_drop)
                exs.append((words, names, tsp))
    return batches_of(exs, rng, batch_size)


def make_passage_batches(docs, lsets, all_labels, rng, a, excluded):
    """v2 recipe: passages, label generalisation, augmentation."""
    exs = []
    for d, dd in docs.items():
        foreign = LB.foreign_negatives(lsets[d], all_labels, excluded)
        for _ in range(1 if d == "conll2003" else a.domain_repeat):
            for words, spans in make_passages(dd, a.max_words, rng):
                if a.augment:
                    words, spans = A.augment(words, spans, rng)
                names, tsp = LB.make_prompt(spans, lsets[d], foreign, rng, pos_drop=a.pos_drop, excluded=excluded)
                if names:
                    exs.append((words, names, tsp))
    return batches_of(exs, rng, a.batch_size)


def subset_docs(docs, n):
    """The first documents of each domain holding at most n sentences (at least one document)."""
    out = {}
    for d, dd in docs.items():
        keep, count = [], 0
        for doc in dd:
            if keep and count + len(doc) > n:
                break
            keep.append(doc[:n])
            count += len(keep[-1])
        out[d] = keep
    return out


def loss_fn(logits, batch, lens, max_width):
    b, w, k, c = logits.shape
    target = torch.zeros(logits.shape)
    for i, (_, names, spans) in enumerate(batch):
        for s, e, ci in spans:
            if e - s < max_width and e < w:
                target[i, s, e - s, ci] = 1.0
    target = target.to(logits.device)
    dv = logits.device
    L = torch.tensor(lens, device=dv).view(b, 1, 1)
    ii = torch.arange(w, device=dv).view(1, w, 1)
    kk = torch.arange(k, device=dv).view(1, 1, k)
    span_ok = (ii + kk) < L  # [B,W,K]
    ncls = torch.tensor([len(x[1]) for x in batch], device=dv).view(b, 1)
    cls_ok = torch.arange(c, device=dv).view(1, c) < ncls  # [B,C]
    mask = (span_ok.unsqueeze(-1) & cls_ok.view(b, 1, 1, c)).float()
    l = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return (l * mask).sum() / b


def dev_sets(leave_out, size):
    """Model selection data: a CoNLL dev sample when CoNLL is available, else the training domains' dev."""
    if "conll2003" in available_domains() and leave_out != "conll2003":
        dev = load_split("dev", ["conll2003"])["conll2003"]
        return [("conll2003", random.Random(0).sample(dev, min(size, len(dev))), ["person", "organisation", "location", "misc"])]
    out = []
    for d, sents in load_split("dev", [d for d in available_domains() if d != leave_out]).items():
        labels = sorted({sp[2] for _, spans in sents for sp in spans})
        out.append((d, random.Random(0).sample(sents, min(size // 5 + 1, len(sents))), labels))
    return out


def dev_f1(model, tok, sets):
    tp = fp = fn = 0
    parts = []
    for name, sents, labels in sets:
        m = evaluate(model, tok, sents, labels)["micro"]
        tp, fp, fn = tp + m["tp"], fp + m["fp"], fn + m["fn"]
        parts.append("%s=%.3f" % (name, m["f1"]))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), " ".join(parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recipe", choices=["sentences", "passages"], default="sentences")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--domain-repeat", type=int, default=3)
    ap.add_argument("--dev-size", type=int, default=600)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--build", default=os.path.join(ROOT, ".build"))
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--layers", type=int, default=TINY["encoder_num_layers"])
    ap.add_argument("--ffn", type=int, default=TINY["encoder_intermediate_size"])
    ap.add_argument("--smoke", action="store_true", help="3 steps per epoch, 20 dev sentences")
    ap.add_argument("--pos-drop", type=float, default=None, help="share of examples asking only some positives "
                    "(default 0 for sentences, 0.3 for passages)")
    ap.add_argument("--max-words", type=int, default=384, help="passages: longest passage in words")
    ap.add_argument("--no-augment", dest="augment", action="store_false", help="passages: no emoji/script noise")
    ap.add_argument("--leave-out", default=None, help="train without this domain and its own label names")
    ap.add_argument("--subset", type=int, default=0, help="at most this many training sentences per domain (0: all)")
    ap.add_argument("--time-budget", type=float, default=0, help="seconds: stop (and decay the lr) by wall-clock time")
    ap.add_argument("--init", default=None, help="start from this checkpoint (fine-tuning)")
    ap.add_argument("--max-steps", type=int, default=0, help="cap on steps per epoch (0: none)")
    ap.add_argument("--ckpt-dir", default=None, help="where best.pt/last.pt go (default: --build)")
    a = ap.parse_args()
    if a.pos_drop is None:
        a.pos_drop = 0.3 if a.recipe == "passages" else 0.0
    dev_t = torch.device(a.device)
    ckpt_dir = a.ckpt_dir or a.build
    os.makedirs(ckpt_dir, exist_ok=True)
    if a.device == "cuda":
        torch.cuda.manual_seed_all(a.seed)

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    domains = [d for d in available_domains() if d != a.leave_out]
    extra = LB.vocabulary_lines() + A.vocabulary_lines() if a.recipe == "passages" else ()
    spm_path, ids = T.write(os.path.join(a.build, "tokenizer"), a.build, domains, extra)
    tok = T.WordTokenizer(spm_path, ids)
    docs = load_docs("train", domains)
    if a.subset:
        docs = subset_docs(docs, a.subset)
    data = {d: [s for doc in dd for s in doc] for d, dd in docs.items()}
    lsets = label_sets(data)
    all_labels = sorted({l for v in lsets.values() for l in v})
    excluded = ()
    if a.leave_out:
        held = load_split("test", [a.leave_out]).get(a.leave_out, [])
        excluded = tuple(sorted({sp[2] for _, spans in held for sp in spans} - set(all_labels)))
    dev = dev_sets(a.leave_out, 20 if a.smoke else a.dev_size)

    def epoch_batches(r):
        if a.recipe == "passages":
            return make_passage_batches(docs, lsets, all_labels, r, a, excluded)
        return make_batches(data, lsets, all_labels, r, a.batch_size, a.domain_repeat, a.pos_drop)

    cfg = dict(TINY)
    cfg["encoder_num_layers"] = a.layers
    cfg["encoder_intermediate_size"] = a.ffn
    cfg["vocab_size"] = ids["<<SEP>>"] + 1
    cfg["class_token_index"] = ids["<<ENT>>"]
    if a.init:
        cfg = torch.load(a.init, map_location="cpu")["cfg"]
    model = GlinerTiny(cfg).to(dev_t)
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu")["state_dict"])
    nparams = count_params(model)
    steps_per_epoch = len(epoch_batches(random.Random(0)))
    if a.max_steps:
        steps_per_epoch = min(steps_per_epoch, a.max_steps)
    total = steps_per_epoch * a.epochs
    run_info = {"recipe": a.recipe, "domains": domains, "leave_out": a.leave_out, "excluded_labels": list(excluded),
                "subset": a.subset, "max_words": a.max_words, "augment": a.augment, "pos_drop": a.pos_drop}
    status("train start: params=%d epochs=%d steps/epoch=%d run=%s cfg=%s" % (
        nparams, a.epochs, steps_per_epoch, json.dumps(run_info), json.dumps(cfg)))
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "embeddings" in n]
    decay = [p for n, p in model.named_parameters() if not (p.dim() < 2 or "embeddings" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr)
    t_start = time.time()

    def progress(s):
        p = s / total
        if a.time_budget:
            p = max(p, (time.time() - t_start) / a.time_budget)
        return min(p, 1.0)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / a.warmup) * max(0.02, 1.0 - progress(s)))
    best = (-1.0, None)
    step = 0
    out_of_time = False
    for ep in range(a.epochs):
        model.train()
        batches = epoch_batches(rng)
        if a.max_steps:
            batches = batches[:a.max_steps]
        if a.smoke:
            batches = batches[:3]
        run = 0.0
        for bi, batch in enumerate(batches):
            inp, lens = collate(tok, [(w, n) for w, n, _ in batch], cfg["max_width"])
            inp = {k: v.to(dev_t) for k, v in inp.items()}
            logits = model.forward_fast(**inp)
            loss = loss_fn(logits, batch, lens, cfg["max_width"])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            run = 0.98 * run + 0.02 * loss.item() if bi else loss.item()
            if bi % (100 if not a.max_steps else 25) == 0:
                print("ep %d step %d/%d loss %.3f lr %.2e %.0fs" % (ep + 1, bi, len(batches), run,
                                                                  sched.get_last_lr()[0], time.time() - t_start),
                      flush=True)
            if a.time_budget and time.time() - t_start >= a.time_budget:
                out_of_time = True
                break
        f1, detail = dev_f1(model, tok, dev)
        status("epoch %d/%d step %d loss %.3f dev micro-F1 %.4f (%s) elapsed %.0fs" % (
            ep + 1, a.epochs, step, run, f1, detail, time.time() - t_start))
        ck = {"cfg": cfg, "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "spm_path": spm_path, "added_ids": ids,
              "epoch": ep + 1, "step": step, "dev_f1": f1, "train_seconds": time.time() - t_start, "device": a.device,
              "torch": torch.__version__, "run": run_info}
        torch.save(ck, os.path.join(ckpt_dir, "last.pt"))
        if f1 > best[0]:
            best = (f1, ep + 1)
            torch.save(ck, os.path.join(ckpt_dir, "best.pt"))
        if out_of_time:
            status("time budget of %.0f s reached at epoch %d step %d" % (a.time_budget, ep + 1, step))
            break
    status("train done: best dev F1 %.4f at epoch %d, %.0fs" % (best[0], best[1], time.time() - t_start))


if __name__ == "__main__":
    sys.exit(main())
