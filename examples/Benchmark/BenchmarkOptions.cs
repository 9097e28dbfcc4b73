using System.Globalization;

namespace Benchmark;

public sealed record BenchmarkOptions
{
    public int Steps { get; init; } = 6;
    public int Warmup { get; init; } = 2;
    /// <summary>Rounds of (LoraDsl, PyTorch) per mode, interleaved so that a slow spell of a shared machine hits both.</summary>
    public int Rounds { get; init; } = 1;
    public int Layers { get; init; } = 12;
    public int Batch { get; init; } = 4;
    public int Sequence { get; init; } = 256;
    public int Threads { get; init; } = 2;
    public bool SkipBaseline { get; init; }
    /// <summary>Time the step's parts on their own (PartsRun) instead of whole steps.</summary>
    public bool Parts { get; init; }
    public string? ChildMode { get; init; }

    public string Checkpoint => Path.GetFullPath(Path.Combine("artifacts", "bench", $"gpt2-small-random-{Layers}l"));

    public static BenchmarkOptions Parse(string[] args)
    {
        var o = new BenchmarkOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--steps" => o with { Steps = Int() },
                "--warmup" => o with { Warmup = Int() },
                "--rounds" => o with { Rounds = Int() },
                "--layers" => o with { Layers = Int() },
                "--threads" => o with { Threads = Int() },
                "--skip-baseline" => o with { SkipBaseline = true },
                "--parts" => o with { Parts = true },
                "--child" => o with { ChildMode = Next() },
                _ => throw new ArgumentException($"Unknown option '{args[i]}': use --steps N, --warmup N, --rounds N, --layers N, --threads N, --skip-baseline, --parts."),
            };
        }
        return o;
    }
}
