using System.CommandLine;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;

namespace LoraDsl.Cli.Commands;

/// <summary>`merge --adapter dir [--adapter NAME=DIR --use a,b] --output dir`: W + Σ s·BA of the active adapters folded into the base, saved as a Hugging Face folder.</summary>
static class MergeCommand
{
    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        adapter.Required = true;
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "Folder for the merged checkpoint", Required = true };
        var command = new Command("merge", "Merge the active adapters (--use) into their base and save a plain Hugging Face checkpoint") { adapter, use, model, output };
        command.SetAction(parsed =>
        {
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), parsed.GetValue(use), "cpu");
            var merged = LoraInjector.MergeAndUnload(session.Model);
            if (session.Labels is { } labels)
            {
                // Hugging Face reads class names from config.json.
                var raw = session.Model.Config.Raw;
                raw["id2label"] = new System.Text.Json.Nodes.JsonObject(labels.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (System.Text.Json.Nodes.JsonNode?)l)));
                raw["label2id"] = new System.Text.Json.Nodes.JsonObject(labels.Select((l, i) => KeyValuePair.Create(l, (System.Text.Json.Nodes.JsonNode?)i)));
            }
            var target = parsed.GetValue(output)!;
            HfCheckpointWriter.Save(session.Model, session.CheckpointDirectory, target);
            Console.WriteLine($"merged {merged.Count} modules into {Path.GetFullPath(target)}");
            return 0;
        });
        return command;
    }
}
