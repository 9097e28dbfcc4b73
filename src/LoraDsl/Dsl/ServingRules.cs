// Linked into generators/LoraDsl.Generators: what vLLM, llama.cpp, SGLang and TGI load, one table for `lint --for`, LORA030 and RecipeDefinition.Validate.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace LoraDsl.Dsl;

/// <summary>
/// The rules LoRA servers apply to a PEFT adapter, read from their source (docs/deploy.md cites each one). A rule either
/// refuses the adapter at load time or, worse, loads it and computes something else (a scale, a missing tensor).
/// </summary>
internal static class ServingRules
{
    public const string Vllm = "vllm";
    public const string LlamaCpp = "llama.cpp";
    public const string SgLang = "sglang";
    public const string Tgi = "tgi";
    public const string Peft = "peft";

    /// <summary>The servers <c>lint --for</c> and <c>ServeWith</c> know, as written on the command line.</summary>
    public static IReadOnlyList<string> Servers { get; } = new[] { Vllm, LlamaCpp, SgLang, Tgi, Peft };

    /// <summary>vLLM's default --max-lora-rank (vllm/config LoRAConfig.max_lora_rank).</summary>
    public const int VllmDefaultMaxLoraRank = 16;

    /// <summary>The rank limit a server has when none is given: vLLM 16; SGLang infers it from the adapters it starts with; the others have none.</summary>
    public static int? DefaultMaxLoraRank(string server) => server == Vllm ? VllmDefaultMaxLoraRank : null;

    /// <summary>How the server is named in messages.</summary>
    public static string DisplayName(string server) => server switch
    {
        Vllm => "vLLM",
        SgLang => "SGLang",
        Tgi => "TGI",
        Peft => "PEFT",
        _ => server,
    };

    // Modules packed into one weight by the model itself: SGLang stacks q/k/v and gate/up from the separate names, TGI maps only those names.
    static readonly string[] FusedNames = { "qkv_proj", "gate_up_proj", "c_attn", "query_key_value", "Wqkv", "W_pack" };

    static readonly string[] TgiLayerNames = { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "lm_head" };

    public static IReadOnlyList<ServingRule> All { get; } = new[]
    {
        new ServingRule("architecture", "serve", Sources(
                (Vllm, "vllm/model_executor/models/gpt2.py, GPT2LMHeadModel: SupportsPP only, not SupportsLoRA")),
            (a, _) => a.ModelType == "gpt2" ? "GPT-2 models take no LoRA adapters (the model class does not support LoRA); merge and serve the merged folder" : null),
        new ServingRule("modules_to_save", "lora.modules_to_save", Sources(
                (Vllm, "vllm/lora/peft_helper.py, PEFTHelper._validate_features"),
                (LlamaCpp, "convert_lora_to_gguf.py, LoraModel.get_tensors: not a lora_A or lora_B tensor"),
                (SgLang, "python/sglang/srt/lora/lora.py, LoRAAdapter.initialize_weights: only layer lora_A/lora_B weights are applied"),
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraConfig.map_weights_for_model: only lora_A/lora_B are read")),
            (a, _) => a.ModulesToSave.Count > 0 ? $"modules_to_save ({string.Join(", ", a.ModulesToSave)}) are full weights it does not load; merge instead" : null),
        new ServingRule("dora", "lora.use_dora", Sources(
                (Vllm, "vllm/lora/peft_helper.py, PEFTHelper._validate_features"),
                (LlamaCpp, "convert_lora_to_gguf.py, LoraModel.get_tensors: lora_magnitude_vector is not a lora_A or lora_B tensor"),
                (SgLang, "python/sglang/srt/lora/lora_config.py, LoRAConfig (use_dora); lora.py applies scaling·B·A only"),
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraConfig.map_weights_for_model: the magnitude is never read")),
            (a, _) => a.UseDora ? "DoRA (use_dora) is not supported; merge instead" : null),
        new ServingRule("adalora", "lora.use_adalora", Sources(
                (Vllm, "vllm/lora/peft_helper.py, PEFTHelper.from_dict: one r for every module, no lora_E"),
                (LlamaCpp, "convert_lora_to_gguf.py, LoraModel.get_tensors: lora_E is not a lora_A or lora_B tensor"),
                (SgLang, "python/sglang/srt/lora/lora.py, LoRAAdapter.__init__: asserts peft_type lora"),
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraConfig.load: peft LoraConfig only")),
            (a, _) => string.Equals(a.PeftType, "ADALORA", StringComparison.OrdinalIgnoreCase) ? "AdaLoRA adapters (peft_type ADALORA) do not load; merge instead" : null),
        new ServingRule("rank", "lora.r", Sources(
                (Vllm, "vllm/lora/peft_helper.py, PEFTHelper.validate_legal: rank greater than max_lora_rank"),
                (SgLang, "python/sglang/srt/server_args.py, max_lora_rank; lora/mem_pool.py sizes buffers by it")),
            (a, max) => a.Rank is { } r && max is { } m && r > m
                ? string.Format(CultureInfo.InvariantCulture, "rank {0} is above max_lora_rank {1}; start the server with --max-lora-rank {2} or train with r <= {1}", r, m, NextVllmRank(r))
                : null),
        new ServingRule("bias", "lora.bias", Sources(
                (Vllm, "vllm/lora/peft_helper.py, PEFTHelper.validate_legal: adapter bias"),
                (LlamaCpp, "convert_lora_to_gguf.py, LoraModel.get_tensors: a bias is not a lora_A or lora_B tensor"),
                (SgLang, "python/sglang/srt/lora/lora.py, LoRAAdapter.initialize_weights: biases are never applied"),
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraConfig.map_weights_for_model: biases are never read")),
            (a, _) => a.Bias is "all" or "lora_only" ? $"trained biases (bias {a.Bias}) are not loaded; train with bias none or merge" : null),
        new ServingRule("rslora", "lora.use_rslora", Sources(
                (LlamaCpp, "convert_lora_to_gguf.py, LoraModel.set_gguf_parameters writes lora_alpha as is; llama.cpp scales by alpha/r"),
                (SgLang, "python/sglang/srt/lora/lora.py, LoRAAdapter.__init__: scaling = lora_alpha / r")),
            (a, _) => a.UseRsLora ? "rsLoRA's scale alpha/sqrt(r) would be applied as alpha/r; merge, or for llama.cpp use `export-gguf --lora-only`, which bakes the scale in" : null),
        new ServingRule("embedding", "targets", Sources(
                (Vllm, "vllm/lora/lora_model.py, LoRAModel.from_local_checkpoint: target modules outside the model's supported LoRA modules"),
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraConfig.map_weights_for_model: lora_embedding_A/B are never read")),
            (a, _) => a.EmbeddingModules.Count > 0 ? $"LoRA on token embeddings ({string.Join(", ", a.EmbeddingModules)}) is not loaded; merge instead" : null),
        new ServingRule("added_tokens", "targets", Sources(
                (Vllm, "vllm/lora/lora_model.py, LoRAModel.from_local_checkpoint: extra vocabulary (new_embeddings) is no longer supported"),
                (LlamaCpp, "convert_lora_to_gguf.py, LoraModel.get_tensors: embeddings in the adapter (new tokens added during fine tuning)"),
                (Tgi, "server/text_generation_server/adapters/lora.py: the tokenizer and vocabulary are the base model's")),
            (a, _) => a.AddsTokens ? "tokens added to the vocabulary (added_tokens.json / new_embeddings) are not loaded; merge and serve the merged folder" : null),
        new ServingRule("tied_head", "targets", Sources(
                (LlamaCpp, "convert_lora_to_gguf.py, LoraModel.modify_tensors: lm_head is present in adapter, but is ignored in base model")),
            (a, _) => a.AdaptsTiedHead ? "LoRA on lm_head of a base whose head is tied to the embedding has no output tensor to apply to; merge instead" : null),
        new ServingRule("fused_modules", "targets", Sources(
                (SgLang, "python/sglang/srt/lora/lora.py, LoRAAdapter.initialize_weights: stacks q/k/v and gate/up from their separate names"),
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraConfig.map_weights_for_model: only q/k/v/o/gate/up/down_proj and lm_head")),
            (a, _) => FusedFinding(a)),
        new ServingRule("module_names", "targets", Sources(
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraConfig.map_weights_for_model: only q/k/v/o/gate/up/down_proj and lm_head")),
            (a, _) => OtherModulesFinding(a)),
        new ServingRule("patterns", "lora.r", Sources(
                (Vllm, "vllm/lora/peft_helper.py, PEFTHelper: one r and lora_alpha for every module (rank_pattern/alpha_pattern ignored)"),
                (Tgi, "server/text_generation_server/adapters/lora.py, LoraWeights.prepare_weights: one scale from r and lora_alpha")),
            (a, _) => a.HasPatterns ? "rank_pattern/alpha_pattern give modules their own scale, which it ignores; merge instead" : null),
    };

    /// <summary>Every rule of <paramref name="server"/> the adapter breaks, as one line each: "vLLM: ... (source)".</summary>
    public static IReadOnlyList<(ServingRule Rule, string Message)> Check(string server, ServedAdapter adapter, int? maxLoraRank)
    {
        var found = new List<(ServingRule, string)>();
        foreach (var rule in All)
        {
            if (!rule.AppliesTo(server)) continue;
            if (rule.Finding(adapter, maxLoraRank) is { } finding) found.Add((rule, Message(server, rule, finding)));
        }
        return found;
    }

    /// <summary>One finding as printed and reported: "vLLM cannot load this adapter: ... (file, function)".</summary>
    public static string Message(string server, ServingRule rule, string finding) =>
        $"{DisplayName(server)} [{rule.Id}]: {finding} ({rule.Sources[server]})";

    /// <summary>The server a name means (case-insensitive; "llamacpp", "llama-cpp" too), or null.</summary>
    public static string? Find(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace("-", ".").Replace("_", ".");
        if (key == "llamacpp") key = LlamaCpp;
        return Servers.FirstOrDefault(s => s == key);
    }

    // vLLM accepts only these --max-lora-rank values (vllm/config LoRAConfig: possible_max_ranks).
    static readonly int[] VllmRanks = { 1, 8, 16, 32, 64, 128, 256, 320, 512 };

    static int NextVllmRank(int rank)
    {
        foreach (var r in VllmRanks)
            if (r >= rank) return r;
        return rank;
    }

    static string? FusedFinding(ServedAdapter adapter)
    {
        var fused = adapter.ModuleNames.Where(n => Array.IndexOf(FusedNames, n) >= 0).Distinct().ToList();
        return fused.Count > 0
            ? $"fused module names ({string.Join(", ", fused)}) are not the q_proj/k_proj/v_proj and gate_proj/up_proj it maps; adapt the separate modules or merge"
            : null;
    }

    // Embeddings have their own rule; fused names theirs.
    static string? OtherModulesFinding(ServedAdapter adapter)
    {
        var others = adapter.ModuleNames
            .Where(n => Array.IndexOf(TgiLayerNames, n) < 0 && Array.IndexOf(FusedNames, n) < 0 && !adapter.EmbeddingModules.Any(e => PeftModuleMatch.IsNamed(e, n)))
            .Distinct().ToList();
        return others.Count > 0 ? $"modules {string.Join(", ", others)} are not among the q/k/v/o/gate/up/down_proj and lm_head it maps; merge instead" : null;
    }

    static IReadOnlyDictionary<string, string> Sources(params (string Server, string Source)[] sources)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (server, source) in sources) map[server] = source;
        return map;
    }
}
