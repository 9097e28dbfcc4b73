using System.CommandLine;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Outputs;

namespace LoraDsl.Cli.Commands;

/// <summary>`merge --adapter dir --output dir`: W + s·BA folded into the base, saved as a Hugging Face folder.</summary>
static class MergeCommand
{
    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        adapter.Required = true;
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "Folder for the merged checkpoint: new or empty", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace --output when it holds a merged model an earlier merge wrote (nothing else is replaced)" };
        var command = new Command("merge", "Merge an adapter into its base and save a plain Hugging Face checkpoint") { adapter, model, output, overwrite };
        command.SetAction(parsed =>
        {
            // Refuse a bad --output before minutes of loading and merging.
            MergedModelFolder.Check(parsed.GetValue(output)!, parsed.GetValue(overwrite), InputsOf(parsed.GetValue(adapter)!, parsed.GetValue(model)));
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), "cpu");
            var merged = LoraInjector.MergeAndUnload(session.Model);
            if (session.Labels is { } labels)
            {
                // Hugging Face reads class names from config.json.
                var raw = session.Model.Config.Raw;
                raw["id2label"] = new System.Text.Json.Nodes.JsonObject(labels.Select((l, i) => KeyValuePair.Create(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (System.Text.Json.Nodes.JsonNode?)l)));
                raw["label2id"] = new System.Text.Json.Nodes.JsonObject(labels.Select((l, i) => KeyValuePair.Create(l, (System.Text.Json.Nodes.JsonNode?)i)));
            }
            var target = parsed.GetValue(output)!;
            var written = MergedModelFolder.Write(target, parsed.GetValue(overwrite),
                folder => HfCheckpointWriter.WriteInto(session.Model, session.CheckpointDirectory, folder),
                [.. InputsOf(parsed.GetValue(adapter)!, parsed.GetValue(model)), session.CheckpointDirectory]);
            Console.WriteLine($"merged {merged.Count} modules into {written}");
            return 0;
        });
        return command;
    }

    static string[] InputsOf(string adapter, string? model) =>
        model is not null && Directory.Exists(model) ? [adapter, model] : [adapter];
}
