using LoraDsl.Data;

namespace LoraDsl.Recipes;

/// <summary>The <c>r.Data(d => ...)</c> part of a recipe.</summary>
public sealed class DataBuilder
{
    internal DataOptions Options { get; private set; }

    internal DataBuilder(DataOptions options) => Options = options;

    public DataBuilder JsonLines(params string[] files) => Set(Options with { Files = files, Format = DataFormat.JsonLines });

    public DataBuilder Csv(params string[] files) => Set(Options with { Files = files, Format = DataFormat.Csv });

    public DataBuilder PlainText(params string[] files) => Set(Options with { Files = files, Format = DataFormat.PlainText });

    public DataBuilder Classification(string textField = "text", string labelField = "label", params string[] labels) =>
        Set(Options with { Task = DataTask.Classification, TextField = textField, LabelField = labelField, Labels = labels.Length == 0 ? null : labels });

    public DataBuilder CausalLanguageModeling(string textField = "text") =>
        Set(Options with { Task = DataTask.CausalLanguageModeling, TextField = textField });

    public DataBuilder InstructionTuning(string instructionField = "instruction", string inputField = "input", string outputField = "output") =>
        Set(Options with { Task = DataTask.InstructionTuning, InstructionField = instructionField, InputField = inputField, OutputField = outputField });

    public DataBuilder MaxTokens(int tokens) => Set(Options with { MaxTokens = tokens });

    public DataBuilder ValidationFraction(double fraction) => Set(Options with { ValidationFraction = fraction });

    public DataBuilder MaxRecords(int records) => Set(Options with { MaxRecords = records });

    public DataBuilder Seed(int seed) => Set(Options with { Seed = seed });

    private DataBuilder Set(DataOptions options)
    {
        Options = options;
        return this;
    }
}
