using LlamaInstruct;
using LoraDsl.Cli;

// make-tiny-llama <dir>: a tiny random LLaMA folder to try the recipe on without downloading weights.
// Anything else: the loradsl CLI over this program's recipe, e.g.
//   dotnet run -c Release --project examples/LlamaInstruct -- train llama-instruct --set model.path=/path/to/llama
if (args is ["make-tiny-llama", ..])
{
    if (args.Length != 2)
    {
        Console.Error.WriteLine("error: usage: make-tiny-llama <dir>");
        return 1;
    }
    Console.WriteLine($"tiny LLaMA: {TinyLlama.Write(args[1])}");
    return 0;
}
return LoraDslCli.Run(args, LoraDslRecipes.All, "llama-instruct");
