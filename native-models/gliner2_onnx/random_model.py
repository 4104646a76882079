"""Upstream's GLiNER2 with random weights that make real decisions: the micro model and the medium one."""
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
EMBEDDED_TOKENIZER = os.path.join(HERE, "..", "gliner-tiny")

# The DeBERTa-v2 encoder configurations for random-weight models.
ENCODERS = {
    # Tiny enough to commit; log-bucketed relative positions past 8 words exercise DeBERTa's
    # make_log_bucket_position as a real checkpoint's 256 buckets do past 128.
    "micro": dict(hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                  position_buckets=16, max_relative_positions=64),
    # microsoft/deberta-v3-base's dimensions (what fastino/gliner2-base-v1 is built on).
    "medium": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                   position_buckets=256, max_relative_positions=-1),
}


def encoder_config(size, vocab_size):
    from transformers import DebertaV2Config
    dims = ENCODERS[size]
    return DebertaV2Config(vocab_size=vocab_size, max_position_embeddings=512, relative_attention=True,
                           pos_att_type=["p2c", "c2p"], norm_rel_ebd="layer_norm", share_att_key=True,
                           position_biased_input=False, type_vocab_size=0, layer_norm_eps=1e-7,
                           attn_implementation="eager", **dims)


CALIBRATION = [
    "Tim Cook runs Apple from Cupertino, California, and met Satya Nadella in Seattle yesterday.",
    "The patient took 200 mg of ibuprofen for a migraine on 3 May 2021 at St. Mary's hospital in London.",
    "iPhone 15 Pro Max with 256GB storage, A17 Pro chip, priced at $1199. Available in titanium and black.",
    "John works for Apple Inc. and lives in San Francisco. Apple Inc. is located in Cupertino.",
    "Great camera quality, decent performance, but poor battery life.",
]


def spread_weights(model, generator):
    """Random heads score everything alike, so a fixture would only test ties. Re-draw the encoder
    so each marker sees its own label (transformers' std-0.02 init makes attention uniform and every
    [E] or [L] marker nearly the same vector), then set each head's last layer from its outputs on
    a few calibration texts: centred and scaled so classification scores spread over (0, 1); the
    count head biased towards 1-3 instances (inputs still move it to 0 and beyond); span scores
    shifted down along one shared direction, so that most spans score low and the shift varies
    with the field and the span (some fields find many spans, others none)."""
    d = model.hidden_size

    def last_linear(seq):
        return [m for m in seq.modules() if isinstance(m, torch.nn.Linear)][-1]

    def recentre(layer, outputs, std):
        # outputs = layer(x) on calibration inputs: make them zero-mean with the given std
        mean, scale = outputs.mean(0), std / outputs.std().clamp_min(1e-6)
        layer.weight.mul_(scale)
        layer.bias.copy_((layer.bias - mean) * scale)

    from gliner2 import Schema
    schema = (Schema().entities({"person": "people", "company": "", "location": "places", "date": ""})
              .classification("sentiment", ["positive", "negative", "neutral"])
              .classification("aspects", ["camera", "battery", "price"], multi_label=True)
              .relations(["works_for", "located_in"])
              # one field per structure: upstream orders a structure's fields through a set(), which
              # would make the calibration, and so the weights, depend on PYTHONHASHSEED
              .structure("product").field("name", dtype="str")
              .structure("offer").field("colors", dtype="list")
              .build())
    with torch.no_grad():
        for module in model.encoder.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(0.0, 1.5 / module.in_features ** 0.5, generator=generator)
                module.bias.normal_(0.0, 0.1, generator=generator)
            elif isinstance(module, torch.nn.Embedding):
                module.weight.normal_(0.0, 1.0, generator=generator)
        model.eval()
        batch = model.processor.collate_fn_inference([(t, schema) for t in CALIBRATION])
        hidden = model.encoder(input_ids=batch.input_ids, attention_mask=batch.attention_mask).last_hidden_state
        words, markers = model.processor.extract_embeddings_from_batch(hidden, batch.input_ids, batch)
        prompts, labels, fields = [], [], []
        for i in range(len(CALIBRATION)):
            for j, kind in enumerate(batch.task_types[i]):
                vecs = torch.stack(markers[i][j])
                if kind == "classifications":
                    labels.append(vecs[1:])
                else:
                    prompts.append(vecs[:1])
                    fields.append(vecs[1:])
        prompts, labels, fields = torch.cat(prompts), torch.cat(labels), torch.cat(fields)
        recentre(last_linear(model.classifier), model.classifier(labels), 2.0)
        count = last_linear(model.count_pred)
        recentre(count, model.count_pred(prompts), 0.8)
        bias = torch.full((count.bias.shape[0],), -3.0)
        bias[:5] = torch.tensor([0.75, 1.0, 0.8, 0.9, 0.0])
        count.bias.add_(bias)
        span_out = last_linear(model.span_rep)
        recentre(span_out, torch.cat([model.compute_span_rep(w)["span_rep"].reshape(-1, d) for w in words]), 1.0)
        proj = last_linear(model.count_embed)
        recentre(proj, model.count_embed(fields, 3).reshape(-1, d), 1.0)
        # the direction along which the calibration fields' vectors vary least: shifting along it
        # moves every field alike (a random direction left relation fields with no span at all)
        queries = model.count_embed(fields, 3).reshape(-1, d)
        u = torch.linalg.eigh(torch.cov(queries.T)).eigenvectors[:, 0]
        span_out.bias.add_(u * 2.0)
        proj.bias.add_(u * -2.0)
        span_out.weight.mul_(2.0)
        proj.weight.mul_(2.0)


def build_random(gliner2, size, seed, tokenizer_dir):
    """Upstream's GLiNER2 from an ExtractorConfig with random weights. transformers 5 draws the rows
    of the GLiNER2 special tokens added by resize_token_embeddings at random too: the seed comes first."""
    from transformers import AutoTokenizer
    from gliner2 import ExtractorConfig, GLiNER2
    torch.manual_seed(seed)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    enc = encoder_config(size, len(tokenizer))
    config = ExtractorConfig(model_name=f"gliner2-{size}-random", max_width=8, counting_layer="count_lstm",
                             attn_implementation="eager")
    model = GLiNER2(config, encoder_config=enc, tokenizer=tokenizer)
    spread_weights(model, torch.Generator().manual_seed(seed + 1))
    return model.eval()
