using LoraDsl.Data;

namespace LoraDsl.Recipes;

/// <summary>The <c>r.Data(d => ...)</c> part of a recipe.</summary>
public sealed class DataBuilder
{
    readonly RecipeBuilder recipe;

    internal DataBuilder(RecipeBuilder recipe) => this.recipe = recipe;

    public DataBuilder JsonLines(params string[] files) => Set(o => o with { Files = files, Format = DataFormat.JsonLines });

    public DataBuilder Csv(params string[] files) => Set(o => o with { Files = files, Format = DataFormat.Csv });

    public DataBuilder PlainText(params string[] files) => Set(o => o with { Files = files, Format = DataFormat.PlainText });

    /// <summary>Data files whose format comes from the extension (or <see cref="Format"/>).</summary>
    public DataBuilder Files(params string[] files) => Set(o => o with { Files = files });

    public DataBuilder Format(DataFormat format) => Set(o => o with { Format = format });

    public DataBuilder Task(DataTask task) => Set(o => o with { Task = task });

    public DataBuilder Classification(string textField = "text", string labelField = "label", params string[] labels) =>
        Set(o => o with { Task = DataTask.Classification, TextField = textField, LabelField = labelField, Labels = labels.Length == 0 ? null : labels });

    public DataBuilder CausalLanguageModeling(string textField = "text") =>
        Set(o => o with { Task = DataTask.CausalLanguageModeling, TextField = textField });

    public DataBuilder InstructionTuning(string instructionField = "instruction", string inputField = "input", string outputField = "output") =>
        Set(o => o with { Task = DataTask.InstructionTuning, InstructionField = instructionField, InputField = inputField, OutputField = outputField });

    public DataBuilder TextField(string field) => Set(o => o with { TextField = field });

    public DataBuilder LabelField(string field) => Set(o => o with { LabelField = field });

    public DataBuilder Labels(params string[] labels) => Set(o => o with { Labels = labels.Length == 0 ? null : labels });

    public DataBuilder MaxTokens(int tokens) => Set(o => o with { MaxTokens = tokens });

    /// <summary>Several examples per training row, each attending only to itself (positions restart per example).</summary>
    public DataBuilder Packing(bool enabled = true) => Set(o => o with { Packing = enabled });

    public DataBuilder ValidationFraction(double fraction) => Set(o => o with { ValidationFraction = fraction });

    public DataBuilder MaxRecords(int records) => Set(o => o with { MaxRecords = records });

    public DataBuilder Seed(int seed) => Set(o => o with { Seed = seed });

    DataBuilder Set(Func<DataOptions, DataOptions> change)
    {
        recipe.Draft = recipe.Draft with { Data = change(recipe.Draft.Data) };
        return this;
    }
}
