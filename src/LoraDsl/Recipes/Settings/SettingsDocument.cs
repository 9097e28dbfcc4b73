using System.Text;

namespace LoraDsl.Recipes.Settings;

/// <summary>docs/settings.md, rendered from <see cref="RecipeSettings"/> (a test keeps the checked-in page equal to it).</summary>
static class SettingsDocument
{
    public static string Render()
    {
        var defaults = new RecipeBuilder("recipe", Architectures.Llama.Descriptor).Model(m => m.FromDirectory("models/llama")).Build();
        var text = new StringBuilder();
        text.Append("# Recipe settings\n\n");
        text.Append("Every setting a recipe can state, from one table (`src/LoraDsl/Dsl/RecipeSettingCatalog.cs`, linked into the generator,\n");
        text.Append("and `src/LoraDsl/Recipes/Settings/RecipeSettings.cs`). Each is reachable three ways: the fluent builder method\n");
        text.Append("(`r.Training(t => t.LearningRate(1e-3))`), the attribute `[Setting(\"training.lr\", \"1e-3\")]`, and `--set training.lr=1e-3`.\n");
        text.Append("Overrides apply in order after the recipe's own values; validation runs once, after all of them, with the same rules\n");
        text.Append("(and texts) as the compile-time diagnostics. This page is generated: `LORADSL_UPDATE_SNAPSHOTS=1 dotnet test` rewrites it.\n\n");
        foreach (var group in RecipeSettings.All.GroupBy(s => s.Info.Builder))
        {
            text.Append("## ").Append(group.Key).Append("\n\n");
            text.Append("| key | builder | kind | allowed | default | meaning |\n|---|---|---|---|---|---|\n");
            foreach (var s in group)
            {
                var info = s.Info;
                var kind = info.Kind == Dsl.SettingKind.Choice ? string.Join(" \\| ", info.Choices) : info.Kind.ToString().ToLowerInvariant();
                var allowed = info.Minimum is null && info.Maximum is null ? "" : info.RangeText;
                if (info.UsualMinimum is { } low && info.UsualMaximum is { } high)
                    allowed += $"; usual [{Dsl.SettingInfo.Format(low)}, {Dsl.SettingInfo.Format(high)}]";
                var aliases = info.Aliases.Count == 0 ? "" : " (also " + string.Join(", ", info.Aliases.Select(a => $"`{a}`")) + ")";
                text.Append($"| `{info.Key}`{aliases} | `{info.Builder}.{info.Method}` | {kind} | {allowed} | {s.ReadText(defaults) ?? ""} | {info.Description} |\n");
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
