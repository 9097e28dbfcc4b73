using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraDsl.Data;
using LoraDsl.Engine;
using LoraDsl.Tokenization;

namespace LoraDsl.Cli.Commands;

/// <summary>
/// `preview &lt;recipe&gt; [--examples N] [--json]`: the recipe's first training examples as the loop sees them, with the
/// trained tokens marked ⟦…⟧ (or, with --json, each token's id, text and trained flag). Needs the tokenizer, not the weights.
/// </summary>
static class PreviewCommand
{
    public const string Open = "⟦";
    public const string Close = "⟧";

    public static Command Create(RecipeCatalog catalog)
    {
        var recipe = CommonOptions.Recipe();
        var set = CommonOptions.Set();
        var model = CommonOptions.Model();
        var examples = new Option<int>("--examples", "-n") { Description = "How many training examples to show", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Token ids with a trained/masked flag per token, as JSON" };
        var command = new Command("preview", $"Show the recipe's examples with the trained tokens marked {Open}…{Close}, before training") { recipe, set, model, examples, json };
        command.SetAction(parsed =>
        {
            var definition = catalog.Find(parsed.GetValue(recipe)!).Build(RecipeCatalog.Overrides(parsed.GetValue(set)));
            if (definition.Data.EffectiveTask == DataTask.Classification)
                throw new ArgumentException($"Recipe '{definition.Name}' classifies whole texts: preview shows which tokens train, for language-model tasks (chat, instruction, causal_lm).");
            var source = parsed.GetValue(model) is { } m ? (Directory.Exists(m) ? Recipes.ModelSource.FromDirectory(m) : Recipes.ModelSource.BuiltIn(m)) : definition.Model;
            var tokenizer = TokenizerLoader.Load(BuiltInModels.Resolve(source));
            var data = DatasetBuilder.Build(definition.Data, tokenizer);
            foreach (var warning in data.Warnings) Console.Error.WriteLine($"warning: {warning}");
            var shown = data.Train.Take(Math.Max(0, parsed.GetValue(examples))).ToList();
            Console.Write(parsed.GetValue(json) ? Json(definition.Name, data, shown, tokenizer) : Text(data, shown, tokenizer));
            return 0;
        });
        return command;
    }

    static bool Trained(TokenizedExample example, int i) => example.Labels[i] != TokenizedExample.IgnoreIndex;

    /// <summary>Each example decoded run by run, trained runs between ⟦ and ⟧.</summary>
    public static string Text(PreparedDataset data, IReadOnlyList<TokenizedExample> examples, TextTokenizer tokenizer)
    {
        var text = new StringBuilder();
        for (var e = 0; e < examples.Count; e++)
        {
            var example = examples[e];
            var trained = Enumerable.Range(0, example.InputIds.Length).Count(i => Trained(example, i));
            text.Append(CultureInfo.InvariantCulture, $"--- example {e + 1} of {data.Train.Count} (train): {example.InputIds.Length} tokens, {trained} trained, marked {Open}…{Close}")
                .Append(data.EndOfTurn is { } eot ? $"; end of turn '{eot.Text}' (id {eot.Id})" : "").Append('\n');
            var start = 0;
            for (var i = 1; i <= example.InputIds.Length; i++)
            {
                if (i < example.InputIds.Length && Trained(example, i) == Trained(example, start)) continue;
                var run = tokenizer.Decode(example.InputIds[start..i], skipSpecialTokens: false);
                text.Append(Trained(example, start) ? $"{Open}{run}{Close}" : run);
                start = i;
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    public static string Json(string recipe, PreparedDataset data, IReadOnlyList<TokenizedExample> examples, TextTokenizer tokenizer)
    {
        var list = new JsonArray();
        foreach (var example in examples)
        {
            var tokens = new JsonArray();
            for (var i = 0; i < example.InputIds.Length; i++)
                tokens.Add(new JsonObject
                {
                    ["id"] = example.InputIds[i],
                    ["text"] = tokenizer.Decode([example.InputIds[i]], skipSpecialTokens: false),
                    ["trained"] = Trained(example, i),
                });
            list.Add(new JsonObject { ["tokens"] = tokens });
        }
        var root = new JsonObject
        {
            ["recipe"] = recipe,
            ["task"] = data.Task.ToString(),
            ["train_examples"] = data.Train.Count,
            ["end_of_turn"] = data.EndOfTurn is { } eot ? new JsonObject { ["text"] = eot.Text, ["id"] = eot.Id } : null,
            ["examples"] = list,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
