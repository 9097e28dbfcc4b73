using System.Diagnostics;
using LoraDsl.Checkpoints;
using LoraDsl.Generation;
using LoraDsl.Lora;
using LoraDsl.Models;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// The seed's inference claim measured: greedy <c>generate</c> tokens/s with the base alone, with an unmerged LoRA
/// adapter (the benchmark's targets, B non-zero) and after <c>MergeAndUnload</c>; same prompt, same length, one process.
/// </summary>
public static class GenerationRun
{
    public sealed record Result(string Model, string Precision, int PromptTokens, int NewTokens, double BaseTokensPerSecond,
        double AdapterTokensPerSecond, double MergedTokensPerSecond, bool MergedMatchesAdapter);

    public static Result Run(string checkpoint, string precision, int promptTokens, int newTokens)
    {
        var dtype = precision == "fp32" ? ScalarType.Float32 : ScalarType.BFloat16;
        using var model = ModelLoader.Load(checkpoint, new ModelLoadOptions { Device = "cpu", ComputeDtype = dtype });
        var config = model.Config;
        manual_seed(1);
        var prompt = Enumerable.Range(0, promptTokens).Select(_ => (long)Random.Shared.Next(3, (int)config.VocabSize)).ToArray();
        // Random weights may predict EOS early: no EOS, so every run makes exactly newTokens tokens.
        var options = new GenerationOptions { MaxNewTokens = newTokens, EosTokenIds = [] };
        var generator = new TextGenerator(model);
        (double Rate, IReadOnlyList<long> Tokens) Time()
        {
            generator.Generate(prompt, options with { MaxNewTokens = 2 }); // warm-up
            var clock = Stopwatch.StartNew();
            var tokens = generator.Generate(prompt, options);
            return (tokens.Count / clock.Elapsed.TotalSeconds, tokens);
        }
        var plain = Time();
        LoraInjector.Inject(model, new LoraOptions { Rank = 16, Alpha = 32, Dropout = 0 }, TrainingStepRun.LoraTargets(config));
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith("lora_B", StringComparison.Ordinal)) p.normal_(0, 0.02); // a trained adapter, not the zero start
        var adapted = Time();
        LoraInjector.MergeAndUnload(model);
        var merged = Time();
        return new Result(Path.GetFileName(checkpoint.TrimEnd('/')), precision, promptTokens, newTokens, plain.Rate, adapted.Rate, merged.Rate,
            merged.Tokens.SequenceEqual(adapted.Tokens));
    }
}
