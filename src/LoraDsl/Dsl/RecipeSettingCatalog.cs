// Linked into generators/LoraDsl.Generators: one list of recipe settings for the DSL, the attributes, --set, the diagnostics and docs/settings.md.
using System.Collections.Generic;
using System.Linq;

namespace LoraDsl.Dsl;

/// <summary>
/// Every setting a recipe can state. The runtime's <c>RecipeSettings</c> gives each one its reader and writer over a
/// recipe definition (so <c>--set</c> reaches it); the generator checks constants written in the DSL against the same
/// rules; <c>docs/settings.md</c> is this list.
/// </summary>
internal static class RecipeSettingCatalog
{
    public static IReadOnlyList<SettingInfo> All { get; } = new[]
    {
        new SettingInfo("model.path", "Model", "FromDirectory", SettingKind.Text, "A Hugging Face checkpoint folder (config.json + safetensors)."),
        new SettingInfo("model.builtin", "Model", "BuiltIn", SettingKind.Text, "A model the runtime ships or imports by name (all-MiniLM-L6-v2)."),

        new SettingInfo("quantization.type", "Quantization", "DataType", SettingKind.Choice, "Quantise the frozen base to 4 bits at load time (QLoRA; bitsandbytes' load_in_4bit); none = keep it dense.")
            .WithChoices("none", "nf4", "fp4"),
        new SettingInfo("quantization.double_quant", "Quantization", "DoubleQuant", SettingKind.Boolean, "Quantise the absmax scales too (bnb_4bit_use_double_quant): about 0.127 instead of 0.5 bits per weight."),
        new SettingInfo("quantization.blocksize", "Quantization", "BlockSize", SettingKind.Integer, "Weights per absmax block (bitsandbytes' blocksize: 32 … 4096, powers of two).").AtLeast(32).AtMost(4096),
        new SettingInfo("quantization.compute_dtype", "Quantization", "ComputeDtype", SettingKind.Choice, "The dtype 4-bit layers dequantise into and multiply in (bnb_4bit_compute_dtype).").WithChoices("bf16", "fp32"),
        new SettingInfo("quantization.skip_modules", "Quantization", "SkipModules", SettingKind.TextList, "Modules kept dense besides embeddings, norms and the head (llm_int8_skip_modules)."),

        new SettingInfo("lora.r", "Lora", "Rank", SettingKind.Integer, "LoRA rank r.").WithAliases("lora.rank").Positive().WithErrorFormat(DslMessages.RankNotPositive),
        new SettingInfo("lora.alpha", "Lora", "Alpha", SettingKind.Number, "LoRA alpha; scaling = alpha / r (alpha / sqrt(r) with rsLoRA).").Positive().WithErrorFormat(DslMessages.AlphaNotPositive),
        new SettingInfo("lora.dropout", "Lora", "Dropout", SettingKind.Number, "Dropout on the LoRA branch's input.").AtLeast(0).Below(1).WithErrorFormat(DslMessages.DropoutOutOfRange),
        new SettingInfo("lora.use_rslora", "Lora", "RsLora", SettingKind.Boolean, "rsLoRA scaling alpha / sqrt(r)."),
        new SettingInfo("lora.use_dora", "Lora", "Dora", SettingKind.Boolean, "DoRA: a trained magnitude per output row."),
        new SettingInfo("lora.bias", "Lora", "Bias", SettingKind.Choice, "Which biases train (PEFT's bias).").WithChoices("none", "all", "lora_only"),
        new SettingInfo("lora.init", "Lora", "Init", SettingKind.Choice, "PEFT's init_lora_weights; pissa and olora change the base to a residual, and saved adapters are converted to plain LoRA.").WithChoices("default", "gaussian", "pissa", "olora"),
        new SettingInfo("lora.pissa_iterations", "Lora", "PissaIterations", SettingKind.Integer, "PiSSA's fast SVD: subspace iterations (init pissa_niter_N); unset = exact SVD.").AtLeast(0),
        new SettingInfo("lora.modules_to_save", "Lora", "ModulesToSave", SettingKind.TextList, "Modules trained in full and saved with the adapter (PEFT's modules_to_save)."),
        new SettingInfo("lora.target_modules", "Lora", "Target", SettingKind.TextList, "PEFT's target_modules as a list: module names (a full path or a \".name\" suffix), or all-linear (every Linear/Conv1D but the output head); replaces the recipe's targets and lora.target_regex."),
        new SettingInfo("lora.target_regex", "Lora", "TargetRegex", SettingKind.Text, "PEFT's target_modules as a string: a regex every adapted module's full path matches entirely; replaces the recipe's targets; none = off."),
        new SettingInfo("lora.exclude_modules", "Lora", "Exclude", SettingKind.TextList, "PEFT's exclude_modules: modules never adapted (a full path or a \".name\" suffix)."),
        new SettingInfo("lora.layers_to_transform", "Lora", "LayersToTransform", SettingKind.TextList, "PEFT's layers_to_transform: layer indices (0,1,2) whose modules are adapted; empty = every layer."),
        new SettingInfo("lora.layers_pattern", "Lora", "LayersPattern", SettingKind.Text, "PEFT's layers_pattern: the module list the layer index follows (layers, h); none = any."),
        new SettingInfo("lora.rank_pattern", "Lora", "RankPattern", SettingKind.TextList, "PEFT's rank_pattern: KEY=RANK entries (q_proj=16,layers\\.0\\.v_proj=4); KEY is a regex matched against the end of a module's path, the first match wins."),
        new SettingInfo("lora.alpha_pattern", "Lora", "AlphaPattern", SettingKind.TextList, "PEFT's alpha_pattern: KEY=ALPHA entries, matched as lora.rank_pattern's keys."),
        new SettingInfo("lora.trainable_token_indices", "Lora", "TrainableTokens", SettingKind.Text, "Embedding rows trained on their own (PEFT's trainable_token_indices): token ids or texts (an added token such as im_end) separated by commas, or PEFT's JSON ([ids] or {\"embed_tokens\": [ids]}); a tied head follows the embedding."),
        new SettingInfo("lora.ensure_weight_tying", "Lora", "EnsureWeightTying", SettingKind.Boolean, "Keep adapters on a tied embedding and head tied (PEFT's ensure_weight_tying)."),
        new SettingInfo("lora.use_adalora", "Lora", "AdaLora", SettingKind.Boolean, "AdaLoRA: SVD-form adapters whose ranks are pruned from init_r to target_r on average (PEFT's ADALORA)."),
        new SettingInfo("lora.adalora.target_r", "Lora", "AdaLoraTargetR", SettingKind.Integer, "AdaLoRA target_r: the average rank per module at the end.").Positive(),
        new SettingInfo("lora.adalora.init_r", "Lora", "AdaLoraInitR", SettingKind.Integer, "AdaLoRA init_r: every module's rank at the start (replaces lora.r).").Positive(),
        new SettingInfo("lora.adalora.tinit", "Lora", "AdaLoraTInit", SettingKind.Integer, "AdaLoRA tinit: optimizer steps at the full budget before pruning.").AtLeast(0),
        new SettingInfo("lora.adalora.tfinal", "Lora", "AdaLoraTFinal", SettingKind.Integer, "AdaLoRA tfinal: last optimizer steps that train the final ranks.").AtLeast(0),
        new SettingInfo("lora.adalora.delta_t", "Lora", "AdaLoraDeltaT", SettingKind.Integer, "AdaLoRA deltaT: optimizer steps between two allocations.").Positive(),
        new SettingInfo("lora.adalora.beta1", "Lora", "AdaLoraBeta1", SettingKind.Number, "AdaLoRA beta1: EMA factor of the sensitivity.").Positive().Below(1),
        new SettingInfo("lora.adalora.beta2", "Lora", "AdaLoraBeta2", SettingKind.Number, "AdaLoRA beta2: EMA factor of the uncertainty.").Positive().Below(1),
        new SettingInfo("lora.adalora.orth_reg_weight", "Lora", "AdaLoraOrthRegWeight", SettingKind.Number, "AdaLoRA orth_reg_weight: weight of the orthogonality penalty added to the loss.").AtLeast(0),
        new SettingInfo("lora.adalora.total_step", "Lora", "AdaLoraTotalStep", SettingKind.Integer, "AdaLoRA total_step; unset: the run's planned optimizer steps.").Positive(),

        new SettingInfo("start.adapters", "Start", "Adapter", SettingKind.TextList, "Saved PEFT adapter folders the recipe's adapters start from, NAME=DIR or DIR: one continues training it (same modules, r, alpha); several are combined with start.method first. Replacing the declared adapters one for one keeps their weights."),
        new SettingInfo("start.weights", "Start", "Weights", SettingKind.TextList, "The start adapters' weights in the combination, in order (default 1 each)."),
        new SettingInfo("start.method", "Start", "Combine", SettingKind.Choice, "How the start adapters are combined (PEFT's add_weighted_adapter combination_type); unset with one adapter = continue it as it is.")
            .WithChoices(CombinationRules.Methods.ToArray()),
        new SettingInfo("start.density", "Start", "Density", SettingKind.Number, "Fraction of entries the pruning combinations keep (ties, dare_*, magnitude_prune*).").AtLeast(0).AtMost(1),
        new SettingInfo("start.svd_rank", "Start", "SvdRank", SettingKind.Integer, "Rank the svd combinations truncate to; unset = the largest input rank.").Positive(),

        new SettingInfo("data.files", "Data", "Files", SettingKind.TextList, "Data files (JSONL, CSV or plain text), comma-separated after --set."),
        new SettingInfo("data.format", "Data", "Format", SettingKind.Choice, "File format; auto = from the extension; chat = conversation records (JSONL or a JSON array) for the chat task.").WithChoices("auto", "jsonl", "csv", "text", "chat"),
        new SettingInfo("data.task", "Data", "Task", SettingKind.Choice, "What the model learns from the data.").WithChoices("classification", "causal_lm", "instruction", "chat"),
        new SettingInfo("data.text_field", "Data", "TextField", SettingKind.Text, "Field holding the text."),
        new SettingInfo("data.label_field", "Data", "LabelField", SettingKind.Text, "Field holding the label (classification)."),
        new SettingInfo("data.labels", "Data", "Labels", SettingKind.TextList, "Class names in index order; empty = the sorted labels found in the data."),
        new SettingInfo("data.messages_field", "Data", "MessagesField", SettingKind.Text, "Chat: the field of OpenAI-style messages (ShareGPT 'conversations' and 'prompt'/'completion' records are recognised by those names)."),
        new SettingInfo("data.chat_template", "Data", "ChatTemplate", SettingKind.Text, "Chat: the template conversations render with; empty = the model folder's own (tokenizer_config.json or chat_template.jinja), else a built-in name (chatml), a named template of the folder, or a .jinja file."),
        new SettingInfo("data.train_on", "Data", "TrainOn", SettingKind.Choice, "Chat: which tokens train: every assistant turn with its end-of-turn token, the last assistant turn only, or all tokens.")
            .WithChoices("assistant", "last", "all"),
        new SettingInfo("data.max_tokens", "Data", "MaxTokens", SettingKind.Integer, "Truncate (classification, instructions) or pack (causal LM) to this many tokens.").Positive(),
        new SettingInfo("data.validation_fraction", "Data", "ValidationFraction", SettingKind.Number, "Share of the examples held out for evaluation.")
            .AtLeast(0, "no validation split: the training loop has no evaluation and no best checkpoint").Below(1),
        new SettingInfo("data.packing", "Data", "Packing", SettingKind.Boolean, "Pack several instruction or chat examples per training row, each attending only to itself."),
        new SettingInfo("data.max_records", "Data", "MaxRecords", SettingKind.Integer, "Use at most this many records (after the seeded shuffle).").Positive(),
        new SettingInfo("data.seed", "Data", "Seed", SettingKind.Integer, "Seed of the shuffle and the validation split."),

        new SettingInfo("training.lr", "Training", "LearningRate", SettingKind.Number, "Peak learning rate of AdamW.")
            .WithAliases("training.learning_rate").Positive().UsuallyBetween(1e-6, 1e-2),
        new SettingInfo("training.weight_decay", "Training", "WeightDecay", SettingKind.Number, "AdamW weight decay (biases and norms are exempt).").AtLeast(0),
        new SettingInfo("training.beta1", "Training", "Beta1", SettingKind.Number, "AdamW beta1.").AtLeast(0).Below(1),
        new SettingInfo("training.beta2", "Training", "Beta2", SettingKind.Number, "AdamW beta2.").AtLeast(0).Below(1),
        new SettingInfo("training.epsilon", "Training", "Epsilon", SettingKind.Number, "AdamW epsilon.").Positive(),
        new SettingInfo("training.warmup_fraction", "Training", "WarmupFraction", SettingKind.Number, "Linear warmup as a share of all optimizer steps (unless warmup_steps is set).")
            .AtLeast(0).AtMost(0.5),
        new SettingInfo("training.warmup_steps", "Training", "WarmupSteps", SettingKind.Integer, "Linear warmup in optimizer steps.").AtLeast(0),
        new SettingInfo("training.decay", "Training", "Decay", SettingKind.Choice, "Learning-rate decay after warmup.").WithChoices("linear", "cosine", "constant"),
        new SettingInfo("training.epochs", "Training", "Epochs", SettingKind.Integer, "Passes over the training split.").Positive(),
        new SettingInfo("training.max_steps", "Training", "MaxSteps", SettingKind.Integer, "Stop after this many optimizer steps (when fewer than the epochs give).").Positive(),
        new SettingInfo("training.batch_size", "Training", "BatchSize", SettingKind.Integer, "Examples per micro-batch.").Positive(),
        new SettingInfo("training.grad_accum", "Training", "GradientAccumulation", SettingKind.Integer, "Micro-batches per optimizer step.")
            .WithAliases("training.gradient_accumulation_steps").Positive(),
        new SettingInfo("training.max_grad_norm", "Training", "MaxGradNorm", SettingKind.Number, "Clip the global gradient norm to this; 'none' disables clipping.").Positive(),
        new SettingInfo("training.eval_every", "Training", "EvalEvery", SettingKind.Integer, "Evaluate every N optimizer steps (and at the end); 0 = only at the end.").AtLeast(0),
        new SettingInfo("training.save_every", "Training", "SaveEvery", SettingKind.Integer, "Write checkpoint-last every N optimizer steps; 0 = only at the end (and on Ctrl+C).").AtLeast(0),
        new SettingInfo("training.log_every", "Training", "LogEvery", SettingKind.Integer, "Report progress every N optimizer steps.").Positive(),
        new SettingInfo("training.data_parallel", "Training", "DataParallel", SettingKind.Choice,
                "Data parallel over MPI processes: auto = when mpirun/srun starts several; required = refuse one process; off = refuse several.")
            .WithChoices("auto", "required", "off"),
        new SettingInfo("training.processes", "Training", "DataParallel", SettingKind.Integer,
                "The process count the global batch (batch_size × grad_accum × processes) is meant for; another count is refused; 0 = any.").AtLeast(0),
        new SettingInfo("training.seed", "Training", "Seed", SettingKind.Integer, "Seed of the initial weights, dropout and the batch order."),
        new SettingInfo("training.output_dir", "Training", "OutputDirectory", SettingKind.Text, "The run folder: adapter, checkpoints, metrics, plots, run.json."),
        new SettingInfo("precision", "Training", "Precision", SettingKind.Choice, "Dtype of the frozen base and its matmuls; trainable weights stay fp32 and AdamW updates them in fp32.")
            .WithAliases("training.precision").WithChoices("fp32", "bf16", "fp16"),
        new SettingInfo("training.gradient_checkpointing", "Training", "GradientCheckpointing", SettingKind.Boolean, "Recompute each decoder layer in backward instead of keeping its activations."),
        new SettingInfo("training.neftune_alpha", "Training", "Neftune", SettingKind.Number, "NEFTune: uniform noise of ±alpha/sqrt(L·d) on the input embeddings while training (transformers' neftune_noise_alpha); 'none' = off.")
            .Positive().UsuallyBetween(1, 20),
        new SettingInfo("training.loraplus_ratio", "Training", "LoraPlus", SettingKind.Number, "LoRA+: B's learning rate is this times A's (PEFT's loraplus_lr_ratio, typically 16); 'none' = off.").Positive().UsuallyBetween(1, 64),
        new SettingInfo("training.loraplus_lr_embedding", "Training", "LoraPlusEmbeddingLearningRate", SettingKind.Number, "LoRA+: learning rate of LoRA on embeddings (PEFT's loraplus_lr_embedding; unset: 1e-6).").Positive(),
    };

    /// <summary>The setting <paramref name="key"/> names (or an alias of it), or null.</summary>
    public static SettingInfo? Find(string key)
    {
        foreach (var setting in All)
            if (setting.Matches(key)) return setting;
        return null;
    }

    /// <summary>The setting a builder method sets (e.g. "Training", "LearningRate"), or null.</summary>
    public static SettingInfo? ForMethod(string builder, string method)
    {
        foreach (var setting in All)
            if (setting.Builder == builder && setting.Method == method) return setting;
        return null;
    }
}
