using System.Diagnostics;
using LoraDsl.Checkpoints;
using LoraDsl.Lora;
using LoraDsl.Models;
using LoraDsl.Models.Gpt2;
using LoraDsl.Models.Llama;
using LoraDsl.Quantization;
using LoraDsl.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Benchmark;

/// <summary>
/// The measured step in this process: one model, one configuration, batch × sequence random tokens, AdamW.
/// LoRA r=16, alpha 32 on every c_attn (GPT-2) or q/k/v/o_proj (LLaMA); "full" trains every parameter.
/// bf16: the base is loaded in bf16, the adapters stay fp32 master weights; nf4: every decoder Linear/Conv1D
/// quantised to NF4 with double quantisation, bf16 compute, embeddings, norms and the head in bf16.
/// The step is the runtime's: <c>TrainingLoss.Compute</c>, <c>backward</c>, <c>AdamW.step</c>.
/// </summary>
public static class TrainingStepRun
{
    public static StepMeasurement Run(string checkpoint, StepConfiguration c, int steps, int warmup, int batch, int sequence)
    {
        var dtype = c.Precision == "fp32" ? ScalarType.Float32 : ScalarType.BFloat16;
        // nf4: transformers' load_in_4bit with bnb_4bit_quant_type nf4, double quant, bf16 compute (a 4-bit folder loads as it is).
        var quantization = c.Precision == "nf4" ? new QuantizationOptions { ComputeDtype = ScalarType.BFloat16 } : null;
        using var model = ModelLoader.Load(checkpoint, new ModelLoadOptions { Device = "cpu", ComputeDtype = dtype, Quantization = quantization });
        var config = model.Config;
        if (c.Mode == "lora")
            LoraInjector.Inject(model, new LoraOptions { Rank = 16, Alpha = 32, Dropout = 0 }, LoraTargets(config));
        else
            foreach (var p in model.parameters()) p.requires_grad = true;
        model.GradientCheckpointing = c.Checkpointing;
        model.train();
        var trainable = DistinctParameters.Of(model).Select(p => p.Parameter).Where(p => p.requires_grad).ToList();
        using var optimizer = optim.AdamW(trainable, lr: 2e-4, weight_decay: 0.0);
        GC.Collect();
        var loadPeak = ProcessMemory.PeakRssMb();
        var rssAfterLoad = ProcessMemory.CurrentRssMb();
        ProcessMemory.ResetPeak();

        manual_seed(0);
        using var ids = randint(0, config.VocabSize, [batch, sequence + 1]);
        using var inputs = ids[.., ..^1].contiguous();
        // The trainer's loss (TrainingLoss: labels shifted inside, lm_head through the chunked cross-entropy).
        using var labels = inputs.clone();
        var times = new List<double>();
        var (forwardTimes, backwardTimes, optimizerTimes) = (new List<double>(), new List<double>(), new List<double>());
        double loss = 0;
        for (var step = 0; step < warmup + steps; step++)
        {
            var clock = Stopwatch.StartNew();
            double forward, backward;
            using (NewDisposeScope())
            {
                var l = TrainingLoss.Compute(model, new ModelInputs(inputs), labels);
                forward = clock.Elapsed.TotalSeconds;
                l.backward();
                backward = clock.Elapsed.TotalSeconds;
                optimizer.step();
                optimizer.zero_grad();
                loss = StepOutcome.ReadLoss(l);
            }
            if (step < warmup) continue;
            var whole = clock.Elapsed.TotalSeconds;
            times.Add(whole);
            // The chunked loss finds its gradients in forward: "forward" includes that part of backward.
            forwardTimes.Add(forward);
            backwardTimes.Add(backward - forward);
            optimizerTimes.Add(whole - backward);
        }
        var median = StepMeasurement.Median(times);

        var quantized = model.named_modules().Select(m => m.module).OfType<Linear4Bit>().ToList();
        long total = DistinctParameters.Of(model).Sum(p => p.Parameter.numel()) + quantized.Sum(q => q.InFeatures * q.OutFeatures);
        long trained = trainable.Sum(p => p.numel());
        var frozenBytes = DistinctParameters.Of(model).Where(p => !p.Parameter.requires_grad).Sum(p => p.Parameter.numel() * p.Parameter.ElementSize)
            + model.buffers().Sum(b => b.numel() * b.ElementSize) + quantized.Sum(q => q.WeightBytes);
        const double Mb = 1024.0 * 1024.0;
        var peak = ProcessMemory.PeakRssMb();
        var gradients = trained * 4 / Mb;
        var optimizerState = 2 * trained * 4 / Mb;
        return new StepMeasurement
        {
            Implementation = "LoraDsl (TorchSharp " + typeof(torch).Assembly.GetName().Version + ")",
            Model = Path.GetFileName(checkpoint.TrimEnd('/')),
            Mode = c.Mode,
            Precision = c.Precision,
            Checkpointing = c.Checkpointing,
            MedianStepSeconds = median,
            StepSeconds = times,
            ForwardSeconds = StepMeasurement.Median(forwardTimes),
            BackwardSeconds = StepMeasurement.Median(backwardTimes),
            OptimizerSeconds = StepMeasurement.Median(optimizerTimes),
            TokensPerSecond = batch * sequence / median,
            PeakRssMb = peak,
            LoadPeakRssMb = loadPeak,
            RssAfterLoadMb = rssAfterLoad,
            TrainableParameters = trained,
            TotalParameters = total,
            FrozenWeightsMb = frozenBytes / Mb,
            QuantizedLayerBytes = quantized.Sum(q => q.WeightBytes),
            QuantizedLayerFp32Bytes = quantized.Sum(q => 4.0 * q.InFeatures * q.OutFeatures),
            GradientsMb = gradients,
            OptimizerStateMb = optimizerState,
            ActivationsMb = Math.Max(0, peak - rssAfterLoad - gradients - optimizerState),
            StepFlops = StepFlops(config, batch, sequence, c.Mode == "lora", trained),
            Loss = loss,
        };
    }

    internal static IEnumerable<LoraTarget> LoraTargets(ModelConfig config) => config switch
    {
        Gpt2Config g => Enumerable.Range(0, g.NumLayers).Select(i => new LoraTarget($"transformer.h.{i}.attn.c_attn")),
        LlamaConfig l => Enumerable.Range(0, l.NumLayers).SelectMany(i =>
            new[] { "q_proj", "k_proj", "v_proj", "o_proj" }.Select(p => new LoraTarget($"model.layers.{i}.self_attn.{p}"))),
        _ => throw new ArgumentException($"The benchmark times GPT-2 and LLaMA-family models, not '{config.ModelType}'."),
    };

    /// <summary>
    /// Model FLOPs of one step (recomputation under checkpointing not counted, as MFU is defined). Forward:
    /// 2·(weights used per token)·tokens + attention scores and mixing 4·layers·tokens·seq·(heads·head_dim)
    /// (dense, causal half not subtracted). Full fine-tuning's backward is 2× forward; LoRA's is 1× forward
    /// (activation gradients through the frozen weights) plus the adapters' weight gradients, 2·tokens·(LoRA parameters).
    /// </summary>
    static double StepFlops(ModelConfig config, int batch, int sequence, bool lora, long loraParameters)
    {
        double d = config.HiddenSize, layers = config.NumLayers, vocab = config.VocabSize, tokens = (double)batch * sequence;
        var (perLayer, attentionWidth) = config switch
        {
            Gpt2Config => (12 * d * d, d), // qkv 3d², proj d², mlp 8d²
            LlamaConfig l => ((2.0 * l.NumAttentionHeads + 2.0 * l.NumKeyValueHeads) * l.HeadDim * d + 3 * d * l.IntermediateSize, (double)l.NumAttentionHeads * l.HeadDim),
            _ => throw new ArgumentException($"No FLOP formula for '{config.ModelType}'."),
        };
        var perTokenWeights = layers * perLayer + vocab * d; // + the output head
        var forward = 2 * perTokenWeights * tokens + 4 * layers * tokens * sequence * attentionWidth;
        return lora ? 2 * forward + 2 * tokens * loraParameters : 3 * forward;
    }
}
