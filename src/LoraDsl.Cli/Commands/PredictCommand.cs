using System.CommandLine;
using System.Globalization;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace LoraDsl.Cli.Commands;

/// <summary>`predict --adapter dir --text "..."`: the class a classification adapter gives each text.</summary>
static class PredictCommand
{
    public static Command Create()
    {
        var adapter = CommonOptions.Adapter();
        var use = CommonOptions.Use();
        var model = CommonOptions.Model();
        var device = CommonOptions.Device();
        var text = new Option<string[]>("--text", "-t") { Description = "Text to classify (repeatable)" };
        var file = new Option<string?>("--file") { Description = "A file with one text per line" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Truncate each text to this many tokens", DefaultValueFactory = _ => 128 };
        var command = new Command("predict", "Classify texts with a sequence-classification model (+ adapter)") { adapter, use, model, device, text, file, maxTokens };
        command.SetAction(parsed =>
        {
            var texts = (parsed.GetValue(text) ?? []).ToList();
            if (parsed.GetValue(file) is { } path) texts.AddRange(File.ReadLines(path).Where(l => l.Trim().Length > 0));
            if (texts.Count == 0) throw new ArgumentException("Give --text or --file.");
            using var session = ModelSession.Open(parsed.GetValue(model), parsed.GetValue(adapter), parsed.GetValue(use), parsed.GetValue(device)!);
            if (session.Model.Task != ModelTask.SequenceClassification)
                throw new ArgumentException($"predict needs a sequence-classification model; '{session.CheckpointDirectory}' is {session.Model.Task}.");
            foreach (var (label, probability, input) in Classify(session, texts, parsed.GetValue(maxTokens)))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}\t{probability:F4}\t{Preview(input)}"));
            return 0;
        });
        return command;
    }

    internal static IEnumerable<(string Label, double Probability, string Text)> Classify(ModelSession session, IEnumerable<string> texts, int maxTokens)
    {
        var tokenizer = session.RequireTokenizer();
        var device = session.Model.parameters().First().device;
        foreach (var text in texts)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var ids = tokenizer.Encode(text).Take(maxTokens).Select(i => (long)i).ToArray();
            if (tokenizer.EosId is { } eos && ids.Length == maxTokens) ids[^1] = eos;
            var input = tensor(ids, device: device).unsqueeze(0);
            var probabilities = session.Model.Forward(new ModelInputs(input)).softmax(-1)[0];
            var best = (int)probabilities.argmax().item<long>();
            var label = session.Labels is { } names && best < names.Count ? names[best] : best.ToString(CultureInfo.InvariantCulture);
            yield return (label, probabilities[best].item<float>(), text);
        }
    }

    static string Preview(string text)
    {
        var flat = text.ReplaceLineEndings(" ");
        return flat.Length <= 80 ? flat : flat[..77] + "...";
    }
}
