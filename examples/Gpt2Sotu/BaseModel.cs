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
        var training = new TrainingOptions
        {
            LearningRate = 1e-3,
            WarmupFraction = 0.05,
            Decay = LearningRateDecay.Cosine,
            WeightDecay = 0.01,
            MaxSteps = steps,
            BatchSize = 4,
            Seed = 11,
        };
        var perplexity = TrainInFull(model, data, training, Path.GetFullPath("runs/gpt2-moby/pretraining"));
        HfCheckpointWriter.Save(model, init, Directory);
        Console.WriteLine($"base model: {Path.GetFullPath(Directory)} (Moby Dick validation perplexity {perplexity:F1})");
    }

    /// <summary>
    /// Full fine-tuning of every weight, written from the training primitives recipes use (no recipe: no adapters):
    /// AdamW, warmup + cosine schedule, clipping, the NaN stop, metrics files; returns the final validation perplexity.
    /// </summary>
    static double TrainInFull(PretrainedModel model, PreparedDataset data, TrainingOptions training, string output)
    {
        System.IO.Directory.CreateDirectory(output);
        var parameters = TrainableParameters.Of(model);
        var device = parameters[0].device;
        using var optimizer = AdamWOptimizer.Create(model, training);
        var order = new EpochBatchOrder(data.Train.Count, training.BatchSize, training.Seed);
        var plan = TrainingPlan.For(training, order, model, data, output);
        var schedule = LearningRateSchedule.From(training, plan.TotalSteps);
        var state = TrainerState.Start(training.Seed, plan.TotalSteps);
        manual_seed(training.Seed);
        using var log = new RunLog(output, plan, [new ConsoleTrainingReporter()]);
        model.train();
        var batches = order.Batches(state.Epoch);
        while (state.GlobalStep < plan.TotalSteps)
        {
            if (state.BatchInEpoch >= batches.Count)
            {
                state = state.NextEpoch();
                batches = order.Batches(state.Epoch);
                continue;
            }
            var learningRate = schedule.At(state.GlobalStep);
            AdamWOptimizer.SetLearningRate(optimizer, learningRate);
            StepOutcome step;
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                using var batch = BatchCollator.Collate(data, batches[state.BatchInEpoch], device);
                var loss = TrainingLoss.Compute(model, batch);
                loss.backward();
                step = StepOutcome.FromLoss(loss, GradientClipping.ClipNorm(parameters, training.MaxGradNorm), batch.TokenCount);
                if (step.IsFinite) optimizer.step();
            }
            if (!step.IsFinite)
            {
                log.Diverged(state, step);
                throw new InvalidOperationException(log.Message);
            }
            state = state.AfterStep(1, step.Tokens, learningRate);
            log.Step(state, step, learningRate);
        }
        var evaluation = Evaluator.Evaluate(model, data, training.BatchSize, state.GlobalStep, device)
            ?? throw new InvalidOperationException("The Moby Dick data has no validation split.");
        log.Evaluation(evaluation);
        log.End(state);
        return evaluation.Perplexity ?? double.NaN;
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
