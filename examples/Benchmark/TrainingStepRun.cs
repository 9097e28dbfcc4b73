using System.Diagnostics;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// The measured step in this process: GPT-2 small, batch 4 × 256 random tokens, fp32, AdamW;
/// LoRA r=16 on every c_attn (mode "lora") or every parameter trainable (mode "full").
/// </summary>
public static class TrainingStepRun
{
    public static StepMeasurement Run(string checkpoint, string mode, int steps, int warmup, int batch, int sequence)
    {
        using var model = ModelLoader.Load(checkpoint, new ModelLoadOptions { Device = "cpu" });
        var config = model.Config;
        if (mode == "lora")
        {
            var targets = Enumerable.Range(0, config.NumLayers).Select(i => new LoraTarget($"transformer.h.{i}.attn.c_attn"));
            LoraInjector.Inject(model, new LoraOptions { Rank = 16, Alpha = 32, Dropout = 0 }, targets);
        }
        else
        {
            foreach (var p in model.parameters()) p.requires_grad = true;
        }
        model.train();
        var trainable = DistinctParameters.Of(model).Select(p => p.Parameter).Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(trainable, lr: 2e-4, weight_decay: 0.0);
        var rssAfterLoad = ProcessMemory.CurrentRssMb();

        manual_seed(0);
        using var ids = randint(0, config.VocabSize, [batch, sequence + 1]);
        using var inputs = ids[.., ..^1].contiguous();
        // The trainer's loss (TrainingLoss: labels shifted inside, lm_head through the chunked cross-entropy).
        using var labels = inputs.clone();
        var times = new List<double>();
        double loss = 0;
        for (var step = 0; step < warmup + steps; step++)
        {
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                var l = TrainingLoss.Compute(model, new ModelInputs(inputs), labels);
                l.backward();
                optimizer.step();
                optimizer.zero_grad();
                loss = l.item<float>();
            }
            if (step >= warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        var median = StepMeasurement.Median(times);

        long total = DistinctParameters.Of(model).Sum(p => p.Parameter.numel());
        long trained = trainable.Sum(p => p.numel());
        const double Mb = 1024.0 * 1024.0;
        var peak = ProcessMemory.PeakRssMb();
        var gradients = trained * 4 / Mb;
        var optimizerState = 2 * trained * 4 / Mb;
        return new StepMeasurement
        {
            Implementation = "LoraDsl (TorchSharp " + typeof(torch).Assembly.GetName().Version + ")",
            Mode = mode,
            MedianStepSeconds = median,
            StepSeconds = times,
            TokensPerSecond = batch * sequence / median,
            PeakRssMb = peak,
            RssAfterLoadMb = rssAfterLoad,
            TrainableParameters = trained,
            TotalParameters = total,
            FrozenWeightsMb = (total - trained) * 4 / Mb,
            GradientsMb = gradients,
            OptimizerStateMb = optimizerState,
            ActivationsMb = Math.Max(0, peak - rssAfterLoad - gradients - optimizerState),
            StepFlops = StepFlops(config, batch, sequence, mode == "lora", trained),
            Loss = loss,
        };
    }

    /// <summary>
    /// Model FLOPs of one step. Forward: 2·(weights used per token)·tokens + attention scores and
    /// mixing 4·layers·tokens·seq·d (dense, causal half not subtracted). Full fine-tuning's backward
    /// is 2× forward (activation and weight gradients); LoRA's is 1× forward (activation gradients
    /// through the frozen weights) plus the adapters' weight gradients, 2·tokens·(LoRA parameters).
    /// </summary>
    static double StepFlops(ModelConfig config, int batch, int sequence, bool lora, long loraParameters)
    {
        double d = config.HiddenSize, layers = config.NumLayers, vocab = config.VocabSize, tokens = (double)batch * sequence;
        var perTokenWeights = layers * 12 * d * d + vocab * d; // qkv 3d², proj d², mlp 8d²; tied head
        var forward = 2 * perTokenWeights * tokens + 4 * layers * tokens * sequence * d;
        return lora ? 2 * forward + 2 * tokens * loraParameters : 3 * forward;
    }
}
