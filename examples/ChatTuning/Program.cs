using ChatTuning;
using LoraDsl.Cli;

// make-tiny-qwen <dir>: a tiny random Qwen2-layout folder with Qwen2.5's chat template, to try the recipe without downloading weights.
// Anything else: the loradsl CLI over this program's recipe, e.g.
//   dotnet run -c Release --project examples/ChatTuning -- train qwen-chat --set model.path=/path/to/Qwen2.5-0.5B-Instruct
if (args is ["make-tiny-qwen", ..])
{
    if (args.Length != 2)
    {
        Console.Error.WriteLine("error: usage: make-tiny-qwen <dir>");
        return 1;
    }
    Console.WriteLine($"tiny Qwen2: {TinyQwen.Write(args[1])}");
    return 0;
}
return LoraDslCli.Run(args, LoraDslRecipes.All, "chat-tuning");
