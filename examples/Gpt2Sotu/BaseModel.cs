using System.Text.Json.Nodes;
using LoraDsl.Checkpoints;
using LoraDsl.Data;
using LoraDsl.Models;
using LoraDsl.Tokenization;
using LoraDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Gpt2Sotu;

/// <summary>
/// The base model of this example: GPT-2 architecture (4 layers, 256 wide, 4 heads, GPT-2's real
/// 50,257-token vocabulary), randomly initialised as Hugging Face does, then trained in full,
/// briefly, on Moby Dick. Saved as a Hugging Face folder.
/// </summary>
public static class BaseModel
{
    public const string Directory = "runs/gpt2-moby/base";

    public static bool Exists => File.Exists(Path.Combine(Directory, "model.safetensors"));

    public static void Prepare(int steps = 200)
    {
        var init = Path.GetFullPath("runs/gpt2-moby/init");
        System.IO.Directory.CreateDirectory(init);
        File.WriteAllText(Path.Combine(init, "config.json"), Config().ToJsonString());
        Gpt2TokenizerFiles.Write(init);

        manual_seed(11);
        using var model = ModelLoader.Initialize(init, new ModelLoadOptions { Device = "cpu" });
        InitializeLikeHuggingFace(model);

        var data = DatasetBuilder.Build(new DataOptions
        {
            Files = [Path.Combine(AppContext.BaseDirectory, "data", "moby-dick.txt")],
            Format = DataFormat.PlainText,
            Task = DataTask.CausalLanguageModeling,
            MaxTokens = 128,
            ValidationFraction = 0.05,
            Seed = 11,
        }, TokenizerLoader.Load(init));
        model.train();
        using var trainer = new Trainer(model, data, new TrainingOptions
        {
            LearningRate = 1e-3,
            WarmupFraction = 0.05,
            Decay = LearningRateDecay.Cosine,
            WeightDecay = 0.01,
            MaxSteps = steps,
            BatchSize = 4,
            EvalEvery = steps,
            Seed = 11,
            OutputDirectory = "runs/gpt2-moby/pretraining",
        }, new TrainableParameterStore(model), [new ConsoleTrainingReporter()]);
        // The pretraining folder is this example's own scratch space: a rerun replaces it.
        var result = trainer.Train(overwrite: true);
        if (result.Status != TrainingStatus.Completed) throw new InvalidOperationException(result.Message);
        HfCheckpointWriter.Save(model, init, Directory);
        Console.WriteLine($"base model: {Path.GetFullPath(Directory)} (Moby Dick validation perplexity {result.Evaluations[^1].Perplexity:F1})");
    }

    static JsonObject Config() => new()
    {
        ["model_type"] = "gpt2",
        ["architectures"] = new JsonArray("GPT2LMHeadModel"),
        ["vocab_size"] = Gpt2TokenizerFiles.EndOfTextId + 1,
        ["n_positions"] = 256,
        ["n_embd"] = 256,
        ["n_layer"] = 4,
        ["n_head"] = 4,
        ["activation_function"] = "gelu_new",
        ["layer_norm_epsilon"] = 1e-5,
        ["initializer_range"] = 0.02,
        ["bos_token_id"] = Gpt2TokenizerFiles.EndOfTextId,
        ["eos_token_id"] = Gpt2TokenizerFiles.EndOfTextId,
        ["tie_word_embeddings"] = true,
    };

    /// <summary>GPT2PreTrainedModel._init_weights: N(0, 0.02) weights, zero biases, unit LayerNorm scales.</summary>
    static void InitializeLikeHuggingFace(PretrainedModel model)
    {
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (name.Contains(".ln_", StringComparison.Ordinal) || name.StartsWith("transformer.ln_f", StringComparison.Ordinal)) p.fill_(1);
            else p.normal_(0, 0.02);
        }
    }
}
