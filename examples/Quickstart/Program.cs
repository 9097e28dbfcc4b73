using LoraDsl.Cli;

// With no arguments this is the README's main job: train the spam recipe, then classify two mails
// with the saved adapter. With arguments it is the loradsl CLI (train, eval, predict, ...).
if (args.Length > 0) return LoraDslCli.Run(args, LoraDslRecipes.All, "quickstart");

var trained = LoraDslCli.Run(["train", "spam-minilm"], LoraDslRecipes.All, "quickstart");
if (trained != 0) return trained;
return LoraDslCli.Run(
[
    "predict", "--adapter", "runs/spam-minilm/adapter",
    "--text", "Congratulations! You have been selected to receive a FREE cruise. Click here to claim your prize now!!!",
    "--text", "Hi Tom, the build on the staging box failed again after the kernel upgrade; can you look at the logs before Monday's meeting?",
], LoraDslRecipes.All, "quickstart");
