using LoraDsl.Dsl;

namespace LoraDsl.Recipes;

/// <summary>
/// Where a recipe's adapter will be served (<c>r.ServeWith(Server.Vllm(maxLoraRank: 16))</c>): the recipe is then
/// checked against that server's rules (<see cref="ServingRules"/>) at compile time (LORA030) and before training.
/// </summary>
public sealed record Server
{
    Server(string name, int? maxLoraRank)
    {
        Name = name;
        MaxLoraRank = maxLoraRank;
    }

    /// <summary>The server as <c>lint --for</c> names it: vllm, llama.cpp, sglang, tgi or peft.</summary>
    public string Name { get; }

    /// <summary>The rank limit the server is started with (--max-lora-rank); null: none.</summary>
    public int? MaxLoraRank { get; }

    /// <summary>vLLM's multi-LoRA serving (<c>--enable-lora --max-lora-rank N</c>, default 16).</summary>
    public static Server Vllm(int maxLoraRank = ServingRules.VllmDefaultMaxLoraRank) => new(ServingRules.Vllm, maxLoraRank);

    /// <summary>llama.cpp (llama-server --lora, LLamaSharp, Ollama's ADAPTER) through a LoRA GGUF.</summary>
    public static Server LlamaCpp() => new(ServingRules.LlamaCpp, null);

    /// <summary>SGLang (<c>--lora-paths</c>); <paramref name="maxLoraRank"/> when the server is started with --max-lora-rank.</summary>
    public static Server SgLang(int? maxLoraRank = null) => new(ServingRules.SgLang, maxLoraRank);

    /// <summary>Text Generation Inference (<c>LORA_ADAPTERS</c>).</summary>
    public static Server Tgi() => new(ServingRules.Tgi, null);

    public override string ToString() => MaxLoraRank is { } r ? $"{ServingRules.DisplayName(Name)} (max_lora_rank {r})" : ServingRules.DisplayName(Name);
}
