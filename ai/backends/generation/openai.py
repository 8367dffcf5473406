"""Any OpenAI-compatible chat completions endpoint (vLLM, TGI, Ollama, a hosted API), with timeouts and retries."""

from __future__ import annotations

import time

import httpx

from ai.backends.generation import prompt
from ai.backends.generation.base import Generated, GenerationError, GenerationRequest
from helpdesk.outbound import UnsafeDestination, destination_check

RETRIES = 3
RETRYABLE_STATUS = {408, 409, 429, 500, 502, 503, 504}


def answer(request: GenerationRequest, *, model: str, base_url: str, api_key: str = "", timeout: float = 30.0,
           transport: httpx.BaseTransport | None = None, public_only: bool = False) -> Generated:
    """``public_only``: the URL is a tenant's, checked just before the call (helpdesk/outbound.py); redirects are
    never followed, so a public server cannot bounce the request inward."""
    if not base_url or not model:
        raise GenerationError("the openai backend needs a base URL and a model name")
    if public_only:
        try:
            destination_check(base_url)
        except UnsafeDestination as exc:
            raise GenerationError(f"endpoint refused: {exc}") from exc
    body = {"model": model, "messages": prompt.messages(request), "temperature": 0,
            "max_tokens": request.max_new_tokens}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = base_url.rstrip("/") + "/chat/completions"
    last_error = ""
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), transport=transport,
                      follow_redirects=False) as client:
        for attempt in range(RETRIES):
            try:
                response = client.post(url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return _parse(response, request, model)
                last_error = f"HTTP {response.status_code}"
                if response.status_code not in RETRYABLE_STATUS:
                    break
            if attempt + 1 < RETRIES:
                time.sleep(0.5 * 2**attempt)
    raise GenerationError(f"openai endpoint failed after retries: {last_error}")


def _parse(response: httpx.Response, request: GenerationRequest, model: str) -> Generated:
    try:
        text = str(response.json()["choices"][0]["message"]["content"] or "").strip()
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise GenerationError(f"unexpected response from the endpoint: {exc}") from exc
    if prompt.declined(text):
        return Generated(text="", cited=[], backend="openai", model=model)
    cited = prompt.cited_indices(text, len(request.passages))
    return Generated(text=prompt.strip_citations(text), cited=cited, backend="openai", model=model)
