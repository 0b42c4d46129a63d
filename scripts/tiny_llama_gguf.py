#!/usr/bin/env python3
"""Writes a tiny Llama model as GGUF, for tests that need a real inference server.

Usage: tiny_llama_gguf.py OUT.gguf

The model is made here, from nothing downloaded: a SentencePiece BPE tokenizer trained on the
licence texts in /usr/share/common-licenses (every Debian system has them), and a llama-
architecture transformer (2 blocks, hidden size 64, 4 heads, FFN 128) with seeded random F32
weights. Its text is gibberish, but llama.cpp loads it and streams real tokens, fast, through
every endpoint of llama-server (including /v1/chat/completions: the GGUF carries a ChatML
chat template).

Generation is steered so that `max_tokens` governs the length of every answer: the end-of-
generation tokens (</s>, <|im_end|>), the other control tokens and the 256 byte-fallback tokens
(which could spell invalid UTF-8) are never sampled. Dimension 0 of the residual stream is a
positive constant (set in every token embedding, written to by no block), and the output rows
of those tokens have a large negative weight on it and nothing elsewhere, so their logits sit
far below every other token's whatever the context.

The same inputs give the same file, byte for byte: the tokenizer is trained single-threaded on
the files in sorted order, and the weights come from a fixed seed.

Needs numpy, sentencepiece and gguf (PyPI); not torch.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import numpy as np
import sentencepiece as spm
from gguf import GGUFWriter, LlamaFileType, TokenType

LICENSES = Path("/usr/share/common-licenses")

VOCAB_SIZE = 3000
CONTEXT_LENGTH = 8192
EMBED = 64
BLOCKS = 2
HEADS = 4
HEADS_KV = 4
FFN = 128
HEAD_DIM = EMBED // HEADS
RMS_EPS = 1e-5
ROPE_BASE = 10000.0
SEED = 20240601

# Dimension 0 of the residual stream: its value in every token embedding (the other dimensions
# are N(0, 1)), and the weight on it of the output rows of tokens that must never be sampled.
CONSTANT_DIM_VALUE = 4.0
SUPPRESSED_WEIGHT = -16.0

CONTROL_SYMBOLS = ["<|im_start|>", "<|im_end|>"]

# ChatML, as many chat models use it; `add_generation_prompt` opens the assistant's turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def corpus_lines() -> list[str]:
    """The non-blank lines of every licence text, each file once (symlinks skipped), in sorted order."""
    seen: set[str] = set()
    lines: list[str] = []
    for path in sorted(LICENSES.iterdir()):
        real = os.path.realpath(path)
        if real in seen or not os.path.isfile(real):
            continue
        seen.add(real)
        text = Path(real).read_text(encoding="utf-8", errors="replace")
        lines.extend(line.strip() for line in text.splitlines() if line.strip())
    if not lines:
        sys.exit(f"error: no text found under {LICENSES}")
    return lines


def train_tokenizer() -> spm.SentencePieceProcessor:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()),
        model_writer=model,
        model_type="bpe",
        vocab_size=VOCAB_SIZE,
        # Llama's layout: <unk> 0, <s> 1, </s> 2, no padding token.
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        control_symbols=CONTROL_SYMBOLS,
        byte_fallback=True,
        character_coverage=1.0,
        split_digits=True,
        # Deterministic: every sentence, in order, on one thread.
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def vocabulary(sp: spm.SentencePieceProcessor) -> tuple[list[str], list[float], list[int]]:
    tokens: list[str] = []
    scores: list[float] = []
    types: list[int] = []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        if sp.is_unknown(i):
            types.append(TokenType.UNKNOWN)
        elif sp.is_control(i):
            types.append(TokenType.CONTROL)
        elif sp.is_byte(i):
            types.append(TokenType.BYTE)
        elif sp.is_unused(i):
            types.append(TokenType.UNUSED)
        else:
            types.append(TokenType.NORMAL)
    return tokens, scores, types


def weights(n_vocab: int, suppressed: list[int]) -> dict[str, np.ndarray]:
    """All tensors, numpy shapes in (out, in) order (GGUF stores the reverse, as ggml wants)."""
    rng = np.random.default_rng(SEED)

    def normal(*shape: int, std: float) -> np.ndarray:
        return rng.normal(0.0, std, size=shape).astype(np.float32)

    embd = normal(n_vocab, EMBED, std=1.0)
    embd[:, 0] = CONSTANT_DIM_VALUE

    output = normal(n_vocab, EMBED, std=0.3)
    output[:, 0] = 0.0
    output[suppressed, :] = 0.0
    output[suppressed, 0] = SUPPRESSED_WEIGHT

    tensors: dict[str, np.ndarray] = {
        "token_embd.weight": embd,
        "output_norm.weight": np.ones(EMBED, dtype=np.float32),
        "output.weight": output,
    }
    proj_std = 1.0 / np.sqrt(EMBED)
    for b in range(BLOCKS):
        attn_output = normal(EMBED, HEADS * HEAD_DIM, std=proj_std)
        ffn_down = normal(EMBED, FFN, std=1.0 / np.sqrt(FFN))
        # No block writes to dimension 0: it stays the constant of the embeddings.
        attn_output[0, :] = 0.0
        ffn_down[0, :] = 0.0
        tensors.update({
            f"blk.{b}.attn_norm.weight": np.ones(EMBED, dtype=np.float32),
            f"blk.{b}.attn_q.weight": normal(HEADS * HEAD_DIM, EMBED, std=proj_std),
            f"blk.{b}.attn_k.weight": normal(HEADS_KV * HEAD_DIM, EMBED, std=proj_std),
            f"blk.{b}.attn_v.weight": normal(HEADS_KV * HEAD_DIM, EMBED, std=proj_std),
            f"blk.{b}.attn_output.weight": attn_output,
            f"blk.{b}.ffn_norm.weight": np.ones(EMBED, dtype=np.float32),
            f"blk.{b}.ffn_gate.weight": normal(FFN, EMBED, std=proj_std),
            f"blk.{b}.ffn_up.weight": normal(FFN, EMBED, std=proj_std),
            f"blk.{b}.ffn_down.weight": ffn_down,
        })
    return tensors


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: tiny_llama_gguf.py OUT.gguf")
    out = Path(sys.argv[1])

    sp = train_tokenizer()
    tokens, scores, types = vocabulary(sp)
    suppressed = [i for i, t in enumerate(types) if t != TokenType.NORMAL]

    tmp = out.with_name(out.name + ".tmp")
    writer = GGUFWriter(tmp, "llama")
    writer.add_name("llm-bench tiny llama")
    writer.add_description("random weights, SentencePiece BPE vocabulary trained on Debian's licence texts")
    writer.add_context_length(CONTEXT_LENGTH)
    writer.add_embedding_length(EMBED)
    writer.add_block_count(BLOCKS)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS_KV)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_rope_freq_base(ROPE_BASE)
    writer.add_layer_norm_rms_eps(RMS_EPS)
    writer.add_vocab_size(len(tokens))
    writer.add_file_type(LlamaFileType.ALL_F32)

    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(sp.unk_id())
    writer.add_bos_token_id(sp.bos_id())
    writer.add_eos_token_id(sp.eos_id())
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)

    for name, tensor in weights(len(tokens), suppressed).items():
        writer.add_tensor(name, tensor)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    print(f"wrote {out}: {len(tokens)} tokens, {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
