using System.Globalization;

namespace Benchmark;

public sealed record BenchmarkOptions
{
    public int Steps { get; init; } = 6;
    public int Warmup { get; init; } = 2;
    /// <summary>Rounds of (LoraDsl, PyTorch) per configuration, interleaved so that a slow spell of a shared machine hits both.</summary>
    public int Rounds { get; init; } = 1;
    /// <summary>Layers of the generated GPT-2 small model.</summary>
    public int Layers { get; init; } = 12;
    public int Batch { get; init; } = 4;
    public int Sequence { get; init; } = 256;
    public int Threads { get; init; } = 2;
    public bool SkipBaseline { get; init; }
    /// <summary>Time the step's parts on their own (PartsRun) instead of whole steps.</summary>
    public bool Parts { get; init; }
    /// <summary>A Hugging Face folder to time (GPT-2 or LLaMA family, 4-bit folders included); null = the two generated models.</summary>
    public string? Model { get; init; }
    /// <summary>fp32, bf16 or nf4 (NF4 + double quantisation, bf16 compute); null = every configuration of the table.</summary>
    public string? Precision { get; init; }
    /// <summary>lora or full; null = every configuration of the table.</summary>
    public string? Mode { get; init; }
    /// <summary>Gradient checkpointing per layer; null = every configuration of the table.</summary>
    public bool? Checkpointing { get; init; }
    /// <summary>Set in the measuring child process, which times exactly one model and configuration.</summary>
    public bool Child { get; init; }
    /// <summary>Set in the child that times generate with the base, an unmerged adapter and the merged model.</summary>
    public bool GenerateChild { get; init; }
    /// <summary>Time the ~1.1 B LLaMA model (TinyLlama's shape) instead of the two small ones.</summary>
    public bool LargeLlama { get; init; }
    /// <summary>Skip the generation row (base / unmerged adapter / merged tokens/s).</summary>
    public bool SkipGeneration { get; init; }
    /// <summary>Prompt and new tokens of the generation row.</summary>
    public int PromptTokens { get; init; } = 32;
    public int NewTokens { get; init; } = 32;
    /// <summary>Data parallel: time 1 process against this many MPI processes sharing the threads (DataParallelRun).</summary>
    public int? Processes { get; init; }
    /// <summary>Set in each process of the data-parallel job.</summary>
    public bool DataParallelChild { get; init; }

    public string Gpt2Checkpoint => Path.GetFullPath(Path.Combine("artifacts", "bench", $"gpt2-small-random-{Layers}l"));

    public string LlamaCheckpoint => Path.GetFullPath(Path.Combine("artifacts", "bench", "llama-125m-random"));

    public string LargeLlamaCheckpoint => Path.GetFullPath(Path.Combine("artifacts", "bench", "llama-1.1b-random"));

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
                "--batch" => o with { Batch = Int() },
                "--seq" => o with { Sequence = Int() },
                "--skip-baseline" => o with { SkipBaseline = true },
                "--parts" => o with { Parts = true },
                "--model" => o with { Model = Path.GetFullPath(Next()) },
                "--precision" => o with { Precision = Choice(Next(), "--precision", "fp32", "bf16", "nf4") },
                "--mode" => o with { Mode = Choice(Next(), "--mode", "lora", "full") },
                "--checkpointing" => o with { Checkpointing = true },
                "--no-checkpointing" => o with { Checkpointing = false },
                "--child" => o with { Child = true },
                "--generate-child" => o with { GenerateChild = true },
                "--llama-1b" => o with { LargeLlama = true },
                "--skip-generation" => o with { SkipGeneration = true },
                "--prompt-tokens" => o with { PromptTokens = Int() },
                "--new-tokens" => o with { NewTokens = Int() },
                "--processes" => o with { Processes = Int() },
                "--dp-child" => o with { DataParallelChild = true },
                _ => throw new ArgumentException($"Unknown option '{args[i]}': use --model DIR, --precision fp32|bf16|nf4, --mode lora|full, --checkpointing, " +
                    "--steps N, --warmup N, --rounds N, --layers N, --threads N, --batch N, --seq N, --skip-baseline, --parts, --llama-1b, " +
                    "--skip-generation, --prompt-tokens N, --new-tokens N, --processes N."),
            };
        }
        return o;
    }

    static string Choice(string value, string option, params string[] choices) =>
        choices.Contains(value) ? value : throw new ArgumentException($"{option} {value}: use {string.Join(", ", choices)}.");
}
