using LoraDsl.Cli;

// With no arguments this is the README's main job: train the spam recipe, then classify two mails
// with the saved adapter. With arguments it is the loradsl CLI (train, eval, predict, ...).
if (args.Length > 0) return LoraDslCli.Run(args, LoraDslRecipes.All, "quickstart");

// --overwrite: running the main job again replaces its own earlier run (only a folder LoraDsl wrote as a run).
var trained = LoraDslCli.Run(["train", "spam-minilm", "--overwrite"], LoraDslRecipes.All, "quickstart");
if (trained != 0) return trained;
return LoraDslCli.Run(
[
    "predict", "--adapter", "runs/spam-minilm/adapter",
    "--text", "LIMITED TIME OFFER: Lowest mortgage rates in 20 years. Refinance today, no credit check! Click here: http://www.best-rates-now.biz",
    "--text", "Hi Tom, the build on the staging box failed again after the kernel upgrade; can you look at the logs before Monday's meeting?",
], LoraDslRecipes.All, "quickstart");
