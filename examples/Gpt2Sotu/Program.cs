using Gpt2Sotu;
using LoraDsl.Cli;

// prepare-base: the small GPT-2 trained on Moby Dick that the recipe adapts.
// gguf [n]: the adapter exported to GGUF (merged in f32/f16/bf16/q8_0, and as a LoRA GGUF), run in llama.cpp through LLamaSharp.
// two-adapters: a State of the Union and a Moby Dick adapter on it, switched and combined (linear, cat), perplexities.
// No arguments: the whole example (base if missing → LoRA on State of the Union → samples).
// Anything else: the loradsl CLI over this program's recipe.
if (args is ["prepare-base", ..])
{
    if (args.Length > 1) BaseModel.Prepare(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
    else BaseModel.Prepare();
    return 0;
}
if (args is ["two-adapters"]) return TwoAdapters.Run();
if (args is ["gguf", ..]) return GgufRoundTrip.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 64);
if (args.Length > 0) return LoraDslCli.Run(args, LoraDslRecipes.All, "gpt2-sotu");

if (!BaseModel.Exists) BaseModel.Prepare();
var trained = LoraDslCli.Run(["train", "sotu-gpt2", "--overwrite"], LoraDslRecipes.All, "gpt2-sotu");
if (trained != 0) return trained;
string[] sample = ["--prompt", "My fellow Americans,", "--max-new-tokens", "40", "--temperature", "0.8", "--top-k", "40", "--seed", "5"];
Console.WriteLine("\n--- base (Moby Dick only) ---");
LoraDslCli.Run(["generate", "--model", BaseModel.Directory, .. sample], LoraDslRecipes.All, "gpt2-sotu");
Console.WriteLine("\n--- base + State of the Union adapter ---");
return LoraDslCli.Run(["generate", "--adapter", "runs/sotu-gpt2/adapter", .. sample], LoraDslRecipes.All, "gpt2-sotu");
