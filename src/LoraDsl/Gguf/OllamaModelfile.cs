using System.Text;
using LoraDsl.Training;

namespace LoraDsl.Gguf;

/// <summary>
/// The Ollama <c>Modelfile</c> written beside a GGUF: FROM the model, ADAPTER for a LoRA GGUF, a stop parameter per
/// end-of-turn token, and the prompt TEMPLATE for the chat formats whose Jinja template Ollama's Go templates cannot run
/// (ChatML, Llama 3, Llama 2/Mistral [INST]); other templates are left to Ollama, which reads tokenizer.chat_template.
/// </summary>
internal static class OllamaModelfile
{
    public const string FileName = "Modelfile";

    // End-of-turn tokens of common chat formats; those in the vocabulary become stop parameters.
    static readonly string[] EndOfTurnTokens = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|end_of_text|>"];

    /// <summary>Writes the Modelfile into the folder of the GGUF it names; returns its path.</summary>
    /// <param name="model">The model GGUF (a path; written relative to the Modelfile when beside it).</param>
    /// <param name="adapter">A LoRA GGUF for ADAPTER, or null.</param>
    public static string WriteBeside(string model, string? adapter, GgufVocabulary vocabulary)
    {
        var anchor = Path.GetFullPath(adapter ?? model);
        var folder = Path.GetDirectoryName(anchor)!;
        var path = Path.Combine(folder, FileName);
        AtomicFile.WriteAllText(path, Text(Relative(folder, model), adapter is null ? null : Relative(folder, adapter), vocabulary));
        return path;
    }

    public static string Text(string model, string? adapter, GgufVocabulary vocabulary)
    {
        var text = new StringBuilder();
        text.Append("# Written by LoraDsl export-gguf. Create the model with: ollama create NAME -f Modelfile\n");
        if (adapter is not null)
            text.Append("# The ADAPTER applies on top of FROM, which must be the base model it was trained on (export it with: export-gguf --model DIR --output FILE.gguf).\n");
        text.Append($"FROM {model}\n");
        if (adapter is not null) text.Append($"ADAPTER {adapter}\n");
        foreach (var stop in Stops(vocabulary)) text.Append($"PARAMETER stop \"{stop.Replace("\"", "\\\"")}\"\n");
        if (Template(vocabulary) is { } template) text.Append($"TEMPLATE \"\"\"{template}\"\"\"\n");
        return text.ToString();
    }

    /// <summary>The EOS token and every known end-of-turn token the vocabulary has, each once.</summary>
    public static IReadOnlyList<string> Stops(GgufVocabulary vocabulary)
    {
        var stops = new List<string>();
        if (vocabulary.EosId is { } eos && eos < vocabulary.Tokens.Count) stops.Add(vocabulary.Tokens[eos]);
        foreach (var token in EndOfTurnTokens)
            if (!stops.Contains(token) && vocabulary.IdOf(token) is not null && (vocabulary.ChatTemplate?.Contains(token, StringComparison.Ordinal) ?? false))
                stops.Add(token);
        return stops;
    }

    /// <summary>An Ollama Go template for a chat format recognised in the Jinja template; null leaves it to Ollama.</summary>
    static string? Template(GgufVocabulary vocabulary)
    {
        var jinja = vocabulary.ChatTemplate;
        if (jinja is null) return null;
        if (jinja.Contains("<|im_start|>", StringComparison.Ordinal))
            return "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n";
        if (jinja.Contains("<|start_header_id|>", StringComparison.Ordinal))
            return "<|begin_of_text|>{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}{{ range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n\n";
        if (jinja.Contains("[INST]", StringComparison.Ordinal))
            return "{{ range .Messages }}{{ if eq .Role \"user\" }}[INST] {{ .Content }} [/INST]{{ else if eq .Role \"assistant\" }} {{ .Content }}</s>{{ end }}{{ end }}";
        return null;
    }

    /// <summary>"./name" for a file in or under the Modelfile's folder; a path already starting "./" is taken as relative to it.</summary>
    static string Relative(string folder, string file)
    {
        if (file.StartsWith("./", StringComparison.Ordinal)) return file;
        var full = Path.GetFullPath(file);
        var relative = Path.GetRelativePath(folder, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : "./" + relative;
    }
}
