#!/usr/bin/env python3
"""Renders every template in templates/ with Jinja2 under transformers' chat-template environment and
writes the expected outputs the C# renderer must equal byte for byte.

Run from anywhere with jinja2 3.1.x installed:  python3 make_goldens.py
Writes goldens.json (the cases: template, messages, tools, variables, add_generation_prompt) and
expected/<case>.txt (the rendered text) or, for a case the template refuses, the error in goldens.json.

The environment mirrors transformers.utils.chat_template_utils._compile_jinja_template:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker,
loopcontrols]), tojson = json.dumps(ensure_ascii=False, indent, separators, sort_keys),
raise_exception, strftime_now; render(messages=, tools=, documents=, add_generation_prompt=,
**special_tokens, **extra_variables).
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))


class AssistantTracker(Extension):
    """transformers' {% generation %} tag; outside return_assistant_tokens_mask it renders its body unchanged."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def compile_template(source):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(source)


# Special tokens as each model's tokenizer_config.json declares them.
LLAMA3 = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}
QWEN = {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}
GEMMA = {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}
PHI35 = {"bos_token": "<s>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<unk>"}
PHI4 = {"bos_token": "<|endoftext|>", "eos_token": "<|im_end|>", "pad_token": "<|dummy_85|>", "unk_token": "<|endoftext|>"}
MISTRAL = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}
DEEPSEEK = {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>", "pad_token": "<｜end▁of▁sentence｜>"}
SMOL = {"bos_token": "<|im_start|>", "eos_token": "<|im_end|>", "pad_token": "<|im_end|>", "unk_token": "<|endoftext|>"}

SYSTEM = {"role": "system", "content": "You are a concise assistant. Answer in one sentence."}
CHAT = [
    {"role": "user", "content": "What is the capital of France?"},
    {"role": "assistant", "content": "The capital of France is Paris."},
    {"role": "user", "content": "And of Japan? Answer with \"quotes\", a tab\tand\nnew lines — ünïcode 日本."},
]
CHAT_WITH_ANSWER = CHAT + [{"role": "assistant", "content": "  Tokyo is the capital of Japan.  "}]

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. Zürich"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
            },
            "required": ["city"],
        },
    },
}


def tool_conversation(arguments_as_string=False, call_id="call0001A", content=None):
    arguments = {"city": "Zürich", "unit": "celsius", "days": 2, "ratio": 0.5, "flag": True, "none": None}
    return [
        {"role": "user", "content": "What's the weather in Zürich?"},
        {"role": "assistant", "content": content, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "get_weather",
                                                              "arguments": json.dumps(arguments, ensure_ascii=False) if arguments_as_string else arguments}}]},
        {"role": "tool", "tool_call_id": call_id, "name": "get_weather", "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
        {"role": "assistant", "content": "It is 21 °C and clear in Zürich."},
    ]


def cases():
    def standard(template, tokens, system=True, extra=None):
        out = []
        for gen in (False, True):
            out.append((template, f"system_multiturn{'_genprompt' if gen else ''}", ([SYSTEM] if system else []) + (CHAT if gen else CHAT_WITH_ANSWER), None, tokens, dict(extra or {}), gen))
        out.append((template, "no_system_genprompt", CHAT, None, tokens, dict(extra or {}), True))
        return out

    llama_date = {"date_string": "26 Jul 2024"}
    yield from standard("meta-llama-Llama-3.1-8B-Instruct", LLAMA3, extra=llama_date)
    yield ("meta-llama-Llama-3.1-8B-Instruct", "tools", [SYSTEM] + tool_conversation(), [WEATHER_TOOL], LLAMA3, llama_date, True)
    yield from standard("meta-llama-Llama-3.2-3B-Instruct", LLAMA3, extra=llama_date)
    yield ("meta-llama-Llama-3.2-3B-Instruct", "tools", [SYSTEM] + tool_conversation(), [WEATHER_TOOL], LLAMA3, llama_date, True)
    yield from standard("Qwen-Qwen2.5-7B-Instruct", QWEN)
    yield ("Qwen-Qwen2.5-7B-Instruct", "tools", [SYSTEM] + tool_conversation(), [WEATHER_TOOL], QWEN, {}, True)
    yield ("Qwen-Qwen2.5-7B-Instruct", "tools_no_system", tool_conversation(content="Let me check."), [WEATHER_TOOL], QWEN, {}, False)
    yield from standard("Qwen-Qwen3-0.6B", QWEN)
    thinking = CHAT + [{"role": "assistant", "content": "<think>\nThe user asks about Japan.\n</think>\n\nTokyo."}]
    yield ("Qwen-Qwen3-0.6B", "thinking_history", [SYSTEM] + thinking, None, QWEN, {}, False)
    yield ("Qwen-Qwen3-0.6B", "reasoning_content", [SYSTEM] + CHAT + [{"role": "assistant", "content": "Tokyo.", "reasoning_content": "Japan's capital."}], None, QWEN, {}, False)
    yield ("Qwen-Qwen3-0.6B", "enable_thinking_false", [SYSTEM] + CHAT, None, QWEN, {"enable_thinking": False}, True)
    yield ("Qwen-Qwen3-0.6B", "enable_thinking_true", [SYSTEM] + CHAT, None, QWEN, {"enable_thinking": True}, True)
    yield ("Qwen-Qwen3-0.6B", "tools", [SYSTEM] + tool_conversation(content=""), [WEATHER_TOOL], QWEN, {"enable_thinking": False}, True)
    # Qwen3 tests '</think>' in message.content: content None is Python's TypeError, an error here too.
    yield ("Qwen-Qwen3-0.6B", "error_content_none", [SYSTEM] + tool_conversation(), [WEATHER_TOOL], QWEN, {}, True)
    yield from standard("google-gemma-2-2b-it", GEMMA, system=False)
    yield ("google-gemma-2-2b-it", "error_system", [SYSTEM] + CHAT, None, GEMMA, {}, True)
    yield ("google-gemma-2-2b-it", "error_alternation", [CHAT[0], CHAT[0]], None, GEMMA, {}, True)
    yield from standard("google-gemma-3-4b-it", GEMMA)
    yield ("google-gemma-3-4b-it", "content_parts", [{"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
                                                     {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "  Describe this.  "}]}], None, GEMMA, {}, True)
    yield ("google-gemma-3-4b-it", "error_alternation", [SYSTEM, CHAT[1]], None, GEMMA, {}, True)
    yield from standard("microsoft-Phi-3.5-mini-instruct", PHI35)
    yield from standard("microsoft-phi-4", PHI4)
    yield from standard("mistralai-Mistral-Nemo-Instruct-2407", MISTRAL)
    yield ("mistralai-Mistral-Nemo-Instruct-2407", "tools", [SYSTEM] + tool_conversation(call_id="abc123XYZ") + [{"role": "user", "content": "Thanks!"}], [WEATHER_TOOL], MISTRAL, {}, True)
    yield ("mistralai-Mistral-Nemo-Instruct-2407", "error_tool_id", tool_conversation(call_id="short"), None, MISTRAL, {}, True)
    yield from standard("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", DEEPSEEK)
    yield ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "thinking_history", [SYSTEM] + thinking, None, DEEPSEEK, {}, True)
    yield ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "tools", [SYSTEM] + tool_conversation(arguments_as_string=True), [WEATHER_TOOL], DEEPSEEK, {}, True)
    yield from standard("HuggingFaceTB-SmolLM2-1.7B-Instruct", SMOL)
    yield from standard("chatml", {})


def main():
    os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)
    manifest = []
    for template, case, messages, tools, tokens, extra, gen in cases():
        with open(os.path.join(HERE, "templates", template + ".jinja"), encoding="utf-8") as f:
            compiled = compile_template(f.read())
        name = f"{template}__{case}"
        entry = {"name": name, "template": template + ".jinja", "messages": messages, "tools": tools,
                 "special_tokens": tokens, "variables": extra, "add_generation_prompt": gen}
        try:
            text = compiled.render(messages=messages, tools=tools, documents=None, add_generation_prompt=gen, **tokens, **extra)
            entry["expected"] = f"expected/{name}.txt"
            with open(os.path.join(HERE, entry["expected"]), "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except jinja2.exceptions.TemplateError as e:
            entry["error"] = str(e)
            entry["raised_by_template"] = type(e) is jinja2.exceptions.TemplateError
        except (TypeError, ValueError, KeyError, IndexError) as e:
            entry["error"] = f"{type(e).__name__}: {e}"
            entry["raised_by_template"] = False
        manifest.append(entry)
    with open(os.path.join(HERE, "goldens.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({"jinja2": jinja2.__version__, "cases": manifest}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(manifest)} cases, jinja2 {jinja2.__version__}")
    write_renderer_cases()


def write_renderer_cases():
    """renderer_cases.json: one small template per renderer feature, with Jinja2's output or error."""
    import renderer_snippets
    out = []
    for name, source, variables in renderer_snippets.SNIPPETS + renderer_snippets.ERRORS:
        entry = {"name": name, "template": source, "variables": variables}
        try:
            entry["expected"] = compile_template(source).render(**variables)
        except jinja2.exceptions.TemplateSyntaxError as e:
            entry["error"] = e.message
            entry["error_line"] = e.lineno
        except jinja2.exceptions.TemplateError as e:
            entry["error"] = str(e)
            entry["raised_by_template"] = type(e) is jinja2.exceptions.TemplateError
        except (TypeError, ValueError, KeyError, IndexError) as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    with open(os.path.join(HERE, "renderer_cases.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump({"jinja2": jinja2.__version__, "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(out)} renderer cases")


if __name__ == "__main__":
    main()
