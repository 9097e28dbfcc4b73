// The loradsl command line over this program's recipes (LoraDslRecipes is generated from them):
//   dotnet run -- list
//   dotnet run -- train spam-minilm --set training.max_steps=2
//   dotnet run -- predict --adapter runs/spam-minilm/adapter --text "WIN A FREE CRUISE!!!"
return LoraDsl.Cli.LoraDslCli.Run(args, LoraDslRecipes.All);
