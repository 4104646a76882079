"""Trains the tiny GLiNER look-alike on CrossNER train splits (CoNLL-2003 + 5 domains)."""
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
from .data import DOMAINS, label_sets, load_split, make_example
from .evaluate import evaluate
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
    ck = torch.load(ckpt_path, map_location="cpu")
    model = GlinerTiny(ck["cfg"])
    model.load_state_dict(ck["state_dict"])
    model.eval()
    tok = T.WordTokenizer(ck["spm_path"], ck["added_ids"])
    return model, tok


def make_batches(data, lsets, all_labels, rng, batch_size, domain_repeat, pos_drop=0.0):
    exs = []
    for d in DOMAINS:
        for _ in range(1 if d == "conll2003" else domain_repeat):
            for words, spans in data[d]:
                names, tsp = make_example(words, spans, d, lsets[d], all_labels, rng, pos_drop=pos_drop)
                exs.append((words, names, tsp))
    rng.shuffle(exs)
    batches = []
    chunk = batch_size * 50
    for s in range(0, len(exs), chunk):
        part = sorted(exs[s:s + chunk], key=lambda x: len(x[0]) + 3 * len(x[1]))
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--domain-repeat", type=int, default=3)
    ap.add_argument("--dev-size", type=int, default=600)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--build", default=os.path.join(ROOT, ".build"))
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--layers", type=int, default=TINY["encoder_num_layers"])
    ap.add_argument("--ffn", type=int, default=TINY["encoder_intermediate_size"])
    ap.add_argument("--smoke", action="store_true", help="3 steps per epoch, 20 dev sentences")
    ap.add_argument("--pos-drop", type=float, default=0.0, help="share of sentences asking only some positives")
    ap.add_argument("--init", default=None, help="start from this checkpoint (fine-tuning)")
    ap.add_argument("--max-steps", type=int, default=0, help="cap on steps per epoch (0: none)")
    ap.add_argument("--ckpt-dir", default=None, help="where best.pt/last.pt go (default: --build)")
    a = ap.parse_args()
    dev_t = torch.device(a.device)
    ckpt_dir = a.ckpt_dir or a.build
    os.makedirs(ckpt_dir, exist_ok=True)
    if a.device == "cuda":
        torch.cuda.manual_seed_all(a.seed)

    torch.set_num_threads(2)
    random.seed(a.seed)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    spm_path, ids = T.write(os.path.join(a.build, "tokenizer"), a.build)
    tok = T.WordTokenizer(spm_path, ids)
    data = load_split("train")
    lsets = label_sets(data)
    all_labels = sorted({l for v in lsets.values() for l in v})
    dev = load_split("dev", ["conll2003"])["conll2003"]
    dev = random.Random(0).sample(dev, min(a.dev_size, len(dev)))

    cfg = dict(TINY)
    cfg["encoder_num_layers"] = a.layers
    cfg["encoder_intermediate_size"] = a.ffn
    if a.smoke:
        dev = dev[:20]
    cfg["vocab_size"] = ids["<<SEP>>"] + 1
    cfg["class_token_index"] = ids["<<ENT>>"]
    if a.init:
        cfg = torch.load(a.init, map_location="cpu")["cfg"]
    model = GlinerTiny(cfg).to(dev_t)
    if a.init:
        model.load_state_dict(torch.load(a.init, map_location="cpu")["state_dict"])
    nparams = count_params(model)
    steps_per_epoch = len(make_batches(data, lsets, all_labels, random.Random(0), a.batch_size, a.domain_repeat))
    if a.max_steps:
        steps_per_epoch = min(steps_per_epoch, a.max_steps)
    total = steps_per_epoch * a.epochs
    status("train start: params=%d epochs=%d steps/epoch=%d cfg=%s" % (nparams, a.epochs, steps_per_epoch,
                                                                     json.dumps(cfg)))
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "embeddings" in n]
    decay = [p for n, p in model.named_parameters() if not (p.dim() < 2 or "embeddings" in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / a.warmup) * max(0.02, 1.0 - s / total))
    t_start = time.time()
    best = (-1.0, None)
    step = 0
    for ep in range(a.epochs):
        model.train()
        batches = make_batches(data, lsets, all_labels, rng, a.batch_size, a.domain_repeat, a.pos_drop)
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
        res = evaluate(model, tok, dev, ["person", "organisation", "location", "misc"])
        f1 = res["micro"]["f1"]
        status("epoch %d/%d loss %.3f dev(conll %d sents) micro-F1 %.4f (%s) elapsed %.0fs" % (
            ep + 1, a.epochs, run, len(dev), f1,
            " ".join("%s=%.3f" % (l, res[l]["f1"]) for l in ["person", "organisation", "location", "misc"]),
            time.time() - t_start))
        ck = {"cfg": cfg, "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()}, "spm_path": spm_path, "added_ids": ids,
              "epoch": ep + 1, "dev_f1": f1, "train_seconds": time.time() - t_start, "device": a.device,
              "torch": torch.__version__}
        torch.save(ck, os.path.join(ckpt_dir, "last.pt"))
        if f1 > best[0]:
            best = (f1, ep + 1)
            torch.save(ck, os.path.join(ckpt_dir, "best.pt"))
    status("train done: best dev F1 %.4f at epoch %d, %.0fs" % (best[0], best[1], time.time() - t_start))


if __name__ == "__main__":
    sys.exit(main())
