using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Cli.Commands;

/// <summary>`logits --ids 1,2,3`: raw logits as JSON, for parity checks against PyTorch/PEFT.</summary>
static class LogitsCommand
{
    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        var model = CommonOptions.Model();
        var ids = new Option<string>("--ids") { Description = "Comma-separated token ids", Required = true };
        var output = new Option<string?>("--output", "-o") { Description = "Write the JSON here instead of stdout" };
        var dtype = CommonOptions.Dtype();
        var command = new Command("logits", "Dump logits for token ids as JSON") { adapter, use, model, ids, output, dtype };
        command.SetAction(parsed =>
        {
            var tokens = parsed.GetValue(ids)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--ids: '{s}' is not a token id."))
                .ToArray();
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), parsed.GetValue(use), "cpu", CommonOptions.ParseDtype(parsed.GetValue(dtype)));
            if (tokens.Any(t => t < 0 || t >= session.Model.Config.VocabSize))
                throw new ArgumentException($"--ids: every id must be in [0, {session.Model.Config.VocabSize}).");
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var logits = session.Model.Forward(new ModelInputs(tensor(tokens).unsqueeze(0)))[0].to(ScalarType.Float32).cpu();
            var json = JsonSerializer.Serialize(new
            {
                model = session.CheckpointDirectory,
                adapters = session.AdapterFolders.ToDictionary(a => a.Name, a => a.Directory),
                active = session.Adapters.Enabled ? session.Adapters.Active : [],
                ids = tokens,
                shape = logits.shape,
                logits = ToNested(logits),
            });
            if (parsed.GetValue(output) is { } path) File.WriteAllText(path, json);
            else Console.WriteLine(json);
            return 0;
        });
        return command;
    }

    static object ToNested(Tensor t) =>
        t.dim() == 1 ? t.data<float>().ToArray() : Enumerable.Range(0, (int)t.shape[0]).Select(i => t[i].data<float>().ToArray()).ToArray();
}
