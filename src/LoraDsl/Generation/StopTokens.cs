using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Models;

namespace LoraDsl.Generation;

/// <summary>
/// The ids that end generation, as transformers stops: every id of generation_config.json's eos_token_id (an int or a
/// list: Llama 3 Instruct lists &lt;|eot_id|&gt; and &lt;|end_of_text|&gt;), config.json's, the tokenizer's EOS, and the chat
/// template's end of turn.
/// </summary>
internal static class StopTokens
{
    public static IReadOnlyList<long> Of(ModelConfig config, int? tokenizerEos, int? endOfTurn = null)
    {
        var ids = new List<long>();
        void Add(long id) { if (!ids.Contains(id)) ids.Add(id); }
        if (endOfTurn is { } turn) Add(turn);
        var folder = config.SourcePath is { } path ? Path.GetDirectoryName(Path.GetFullPath(path)) : null;
        if (folder is not null && Path.Combine(folder, Checkpoints.GenerationConfigFile.FileName) is var file && File.Exists(file))
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(File.ReadAllText(file));
            }
            catch (JsonException e)
            {
                throw new Checkpoints.CheckpointFormatException($"'{file}' is not valid JSON: {e.Message}");
            }
            if (node is JsonObject generation) foreach (var id in ConfigFields.TokenIds(generation, "eos_token_id", file)) Add(id);
        }
        foreach (var id in ConfigFields.TokenIds(config.Raw, "eos_token_id", config.SourcePath)) Add(id);
        if (tokenizerEos is { } eos) Add(eos);
        return ids;
    }
}
