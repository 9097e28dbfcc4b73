using System.Globalization;

namespace Benchmark;

/// <summary>
/// The seed's claims ("LoRA vs full fine-tuning: parameters 0.1–1 %, memory 10–20 %, speed 2–10× faster"; merged
/// LoRA "adds no inference latency", adapter layers do) next to the figures of this run's own rows.
/// </summary>
public static class ComparisonTable
{
    static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static void Print(IReadOnlyList<StepMeasurement> rows, IReadOnlyList<GenerationRun.Result> generation)
    {
        var models = rows.Select(r => r.Model).Distinct().Where(m => rows.Any(r => r.Model == m && r.Mode == "full")).ToList();
        if (models.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("LoRA vs full fp32 fine-tuning (the seed: parameters 0.1-1 %, memory 10-20 %, speed 2-10x faster)");
            Console.WriteLine($"{"model",-26}{"row",-16}{"trainable %",13}{"peak memory %",15}{"step speed x",14}   claims in range");
            foreach (var model in models)
            {
                var full = rows.First(r => r.Model == model && r.Mode == "full");
                foreach (var r in rows.Where(r => r.Model == model && r.Mode == "lora"))
                {
                    var trainable = 100.0 * r.TrainableParameters / r.TotalParameters;
                    var memory = 100.0 * r.PeakRssMb / full.PeakRssMb;
                    var speed = full.MedianStepSeconds / r.MedianStepSeconds;
                    var inRange = $"{Range(trainable, 0.1, 1)}/{Range(memory, 10, 20)}/{Range(speed, 2, 10)}";
                    Console.WriteLine(string.Create(C, $"{model,-26}{r.Label,-16}{trainable,12:F3}%{memory,14:F1}%{speed,13:F2}x   {inRange}{(full.Computed ? " (full computed)" : "")}"));
                }
            }
            Console.WriteLine("  (trainable % = trainable / all parameters; memory = peak RSS of the step / full fine-tuning's; speed = full's step time / the row's;");
            Console.WriteLine("   claims in range: parameters/memory/speed, 'in' within the seed's range, 'below'/'above' outside it)");
        }
        if (generation.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine("generate, greedy, KV cache (the seed: merged LoRA adds no inference latency, adapter layers do)");
        Console.WriteLine($"{"model",-26}{"dtype",-7}{"prompt+new",12}{"base tok/s",12}{"adapter tok/s",15}{"merged tok/s",14}{"adapter/base",14}{"merged/base",13}");
        foreach (var g in generation)
            Console.WriteLine(string.Create(C, $"{g.Model,-26}{g.Precision,-7}{$"{g.PromptTokens}+{g.NewTokens}",12}{g.BaseTokensPerSecond,12:F1}{g.AdapterTokensPerSecond,15:F1}{g.MergedTokensPerSecond,14:F1}{g.AdapterTokensPerSecond / g.BaseTokensPerSecond,14:F3}{g.MergedTokensPerSecond / g.BaseTokensPerSecond,13:F3}"));
        Console.WriteLine("  (unmerged adapter: LoRA r=16 on the training rows' targets, B non-zero; merged: the same adapter after MergeAndUnload)");
    }

    static string Range(double value, double low, double high) => value < low ? "below" : value > high ? "above" : "in";
}
