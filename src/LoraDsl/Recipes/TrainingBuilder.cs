using LoraDsl.Training;

namespace LoraDsl.Recipes;

/// <summary>The <c>r.Training(t => ...)</c> part of a recipe.</summary>
public sealed class TrainingBuilder
{
    readonly RecipeBuilder recipe;

    internal TrainingBuilder(RecipeBuilder recipe) => this.recipe = recipe;

    public TrainingBuilder LearningRate(double rate) => Set(o => o with { LearningRate = rate });

    public TrainingBuilder WeightDecay(double decay) => Set(o => o with { WeightDecay = decay });

    public TrainingBuilder Beta1(double beta1) => Set(o => o with { Beta1 = beta1 });

    public TrainingBuilder Beta2(double beta2) => Set(o => o with { Beta2 = beta2 });

    /// <summary>AdamW's (beta1, beta2).</summary>
    public TrainingBuilder Betas(double beta1, double beta2) => Set(o => o with { Beta1 = beta1, Beta2 = beta2 });

    public TrainingBuilder Epsilon(double epsilon) => Set(o => o with { Epsilon = epsilon });

    public TrainingBuilder Epochs(int epochs) => Set(o => o with { Epochs = epochs });

    public TrainingBuilder MaxSteps(int steps) => Set(o => o with { MaxSteps = steps });

    public TrainingBuilder BatchSize(int size) => Set(o => o with { BatchSize = size });

    public TrainingBuilder GradientAccumulation(int steps) => Set(o => o with { GradientAccumulationSteps = steps });

    /// <summary>Linear warmup as a share of all optimizer steps, in [0, 0.5].</summary>
    public TrainingBuilder WarmupFraction(double fraction) => Set(o => o with { WarmupFraction = fraction });

    public TrainingBuilder WarmupSteps(int steps) => Set(o => o with { WarmupSteps = steps });

    public TrainingBuilder Decay(LearningRateDecay decay) => Set(o => o with { Decay = decay });

    public TrainingBuilder MaxGradNorm(double? norm) => Set(o => o with { MaxGradNorm = norm });

    public TrainingBuilder EvalEvery(int steps) => Set(o => o with { EvalEvery = steps });

    /// <summary>Write checkpoint-last every N optimizer steps (0 = only at the end and on Ctrl+C).</summary>
    public TrainingBuilder SaveEvery(int steps) => Set(o => o with { SaveEvery = steps });

    public TrainingBuilder LogEvery(int steps) => Set(o => o with { LogEvery = steps });

    /// <summary>
    /// Train data-parallel only: refuse to run as one process. <paramref name="processes"/> &gt; 0 also pins the process
    /// count, so the global batch (batch size × accumulation × processes) is the one the recipe was tuned for.
    /// </summary>
    public TrainingBuilder DataParallel(int processes = 0) => Set(o => o with { DataParallel = Distributed.DataParallelMode.Required, Processes = processes });

    public TrainingBuilder Seed(int seed) => Set(o => o with { Seed = seed });

    public TrainingBuilder OutputDirectory(string path) => Set(o => o with { OutputDirectory = path });

    /// <summary>Dtype of the frozen base and its matmuls (bf16 is the fast path on AMX/AVX-512-BF16 CPUs); trainable weights stay fp32.</summary>
    public TrainingBuilder Precision(Precision precision) => Set(o => o with { Precision = precision });

    /// <summary>Recompute each decoder layer in backward instead of keeping its activations.</summary>
    public TrainingBuilder GradientCheckpointing(bool enabled = true) => Set(o => o with { GradientCheckpointing = enabled });

    /// <summary>NEFTune: uniform noise of ±alpha/sqrt(L·d) on the input embeddings while training (typical alpha 5–15).</summary>
    public TrainingBuilder Neftune(double alpha) => Set(o => o with { NeftuneAlpha = alpha });

    /// <summary>LoRA+: B's learning rate is <paramref name="ratio"/> times A's (PEFT's default 16).</summary>
    public TrainingBuilder LoraPlus(double ratio = 16) => Set(o => o with { LoraPlusRatio = ratio });

    /// <summary>LoRA+: the learning rate of LoRA on embeddings (PEFT's default 1e-6).</summary>
    public TrainingBuilder LoraPlusEmbeddingLearningRate(double rate) => Set(o => o with { LoraPlusEmbeddingLearningRate = rate });

    TrainingBuilder Set(Func<TrainingOptions, TrainingOptions> change)
    {
        recipe.Draft = recipe.Draft with { Training = change(recipe.Draft.Training) };
        return this;
    }
}
