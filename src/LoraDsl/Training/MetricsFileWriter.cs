using System.Globalization;
using System.Text.Json.Nodes;

namespace LoraDsl.Training;

/// <summary>
/// Appends one line per step and per evaluation to metrics.jsonl and metrics.csv, flushed each
/// time, so a crash loses at most the line being written.
/// </summary>
internal sealed class MetricsFileWriter : ITrainingObserver, IDisposable
{
    public const string JsonLinesFile = "metrics.jsonl";
    public const string CsvFile = "metrics.csv";
    const string CsvHeader = "kind,step,epoch,loss,learning_rate,grad_norm,tokens_per_second,perplexity,accuracy";

    readonly StreamWriter jsonl;
    readonly StreamWriter csv;

    public MetricsFileWriter(string directory, bool append = false)
    {
        Directory.CreateDirectory(directory);
        var csvPath = Path.Combine(directory, CsvFile);
        var writeHeader = !append || !File.Exists(csvPath) || new FileInfo(csvPath).Length == 0;
        jsonl = new StreamWriter(Path.Combine(directory, JsonLinesFile), append) { AutoFlush = true };
        csv = new StreamWriter(csvPath, append) { AutoFlush = true };
        if (writeHeader) csv.WriteLine(CsvHeader);
    }

    public void OnStep(StepMetrics m)
    {
        jsonl.WriteLine(new JsonObject
        {
            ["kind"] = "train",
            ["step"] = m.Step,
            ["epoch"] = m.Epoch,
            ["loss"] = Finite(m.Loss),
            ["learning_rate"] = m.LearningRate,
            ["grad_norm"] = Finite(m.GradientNorm),
            ["tokens_per_second"] = m.TokensPerSecond,
            ["elapsed_seconds"] = m.Elapsed.TotalSeconds,
        }.ToJsonString());
        csv.WriteLine(string.Join(',', "train", Number(m.Step), Number(m.Epoch), Number(m.Loss), Number(m.LearningRate),
            Number(m.GradientNorm), Number(m.TokensPerSecond), "", ""));
    }

    public void OnEvaluation(EvaluationMetrics m)
    {
        var line = new JsonObject
        {
            ["kind"] = "eval",
            ["step"] = m.Step,
            ["loss"] = Finite(m.Loss),
        };
        if (m.Perplexity is { } p) line["perplexity"] = Finite(p);
        if (m.Accuracy is { } a) line["accuracy"] = a;
        if (m.Classes.Count > 0)
            line["classes"] = new JsonArray([.. m.Classes.Select(c => (JsonNode)new JsonObject
            {
                ["label"] = c.Label, ["precision"] = c.Precision, ["recall"] = c.Recall, ["f1"] = c.F1, ["support"] = c.Support,
            })]);
        jsonl.WriteLine(line.ToJsonString());
        csv.WriteLine(string.Join(',', "eval", Number(m.Step), "", Number(m.Loss), "", "", "",
            m.Perplexity is { } pp ? Number(pp) : "", m.Accuracy is { } aa ? Number(aa) : ""));
    }

    /// <summary>
    /// Keeps only the lines of steps up to <paramref name="step"/> (and the CSV header) in both files, so a run
    /// resumed from that step's checkpoint does not list the replayed steps twice. A half-written last line goes too.
    /// </summary>
    public static void TruncateAfter(string directory, int step)
    {
        Keep(Path.Combine(directory, JsonLinesFile), line =>
        {
            try
            {
                return JsonNode.Parse(line)?["step"]?.GetValue<int>() is { } s && s <= step;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
            {
                return false;
            }
        });
        Keep(Path.Combine(directory, CsvFile), line =>
        {
            if (line == CsvHeader) return true;
            var fields = line.Split(',');
            return fields.Length == CsvHeader.Split(',').Length &&
                   int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s <= step;
        });

        static void Keep(string path, Func<string, bool> keep)
        {
            if (!File.Exists(path)) return;
            var lines = File.ReadAllText(path).Split('\n');
            // The last piece is "" after a final newline, or a line a kill cut short: dropped either way.
            AtomicFile.WriteAllText(path, string.Concat(lines[..^1].Select(l => l.TrimEnd('\r')).Where(keep).Select(l => l + Environment.NewLine)));
        }
    }

    public void Dispose()
    {
        jsonl.Dispose();
        csv.Dispose();
    }

    // JSON has no NaN/Infinity; a diverged value is written as null.
    static JsonNode? Finite(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
