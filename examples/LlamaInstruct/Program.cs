using LoraDsl.Cli;

// The loradsl CLI over this program's recipe, e.g.
//   dotnet run -c Release --project examples/LlamaInstruct -- train llama-instruct --set model.path=/path/to/llama
return LoraDslCli.Run(args, LoraDslRecipes.All, "llama-instruct");
