using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LoraDsl.Models;
using LoraDsl.Native;
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
        var device = CommonOptions.Device("cpu");
        var command = new Command("logits", "Dump logits for token ids as JSON") { adapter, use, model, ids, output, dtype, device };
        command.SetAction(parsed =>
        {
            var tokens = parsed.GetValue(ids)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--ids: '{s}' is not a token id."))
                .ToArray();
            if (tokens.Length == 0) throw new ArgumentException("--ids: give at least one token id, e.g. --ids 15496,995.");
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), parsed.GetValue(use), parsed.GetValue(device)!, CommonOptions.ParseDtype(parsed.GetValue(dtype)));
            if (tokens.Any(t => t < 0 || t >= session.Model.Config.VocabSize))
                throw new ArgumentException($"--ids: every id must be in [0, {session.Model.Config.VocabSize}).");
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var logits = session.Model.Forward(new ModelInputs(tensor(tokens, device: session.Model.parameters().First().device).unsqueeze(0)))[0].to(ScalarType.Float32).cpu();
            if (Checkpoints.FiniteValues.CountNonFinite(logits) is var bad and > 0)
                throw new InvalidOperationException($"The model produced {bad} non-finite logits (NaN or infinity) of {logits.NumberOfElements}, " +
                    $"{NonFiniteSource(session.Model)}. JSON cannot hold them; nothing was written.");
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

    /// <summary>The first parameter or buffer holding NaN/Inf (a LoRA tensor names its adapter), or the computation when all are finite.</summary>
    static string NonFiniteSource(nn.Module model)
    {
        foreach (var (name, value) in model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.named_buffers()))
            if (Checkpoints.FiniteValues.CountNonFinite(value) > 0)
                return name.Contains(".lora_", StringComparison.Ordinal) ? $"from adapter tensor '{name}'" : $"from weight '{name}'";
        return "though every weight is finite: the computation overflowed (try --dtype fp32)";
    }

    static object ToNested(Tensor t) =>
        t.dim() == 1 ? HostMemory.ToArray<float>(t) : Enumerable.Range(0, (int)t.shape[0]).Select(i => HostMemory.ToArray<float>(t[i])).ToArray();
}
