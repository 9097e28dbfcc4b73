using LoraDsl.Generators.Tests.Infrastructure;

namespace LoraDsl.Generators.Tests;

public sealed class AnalyzerTests
{
    private const string Usings = """
        using LoraDsl.Architectures;
        using LoraDsl.Dsl;
        using LoraDsl.Recipes;

        """;

    [Fact]
    public Task LORA001_UnknownModuleInAttribute() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Target({|LORA001:"qproj"|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA001_UnknownModuleInFluentChain() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank(8).Target("v_proj", {|LORA001:"k_prj"|}));
        }
        """);

    [Fact]
    public Task LORA001_HandleOfAnotherArchitecture() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target(Llama.QProj, {|LORA001:Gpt2.CAttn|}));
        }
        """);

    [Fact]
    public Task LORA002_RoleTheArchitectureLacks() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Bert))]
        [Target(ModuleRole.Query)]
        [Target({|LORA002:ModuleRole.FfnGate|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA003_RankNotPositive() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Lora(Rank = {|LORA003:0|})]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Rank({|LORA003:-4|}));
        }
        """);

    [Fact]
    public Task LORA004_AlphaNotPositive() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Lora(Rank = 8, Alpha = {|LORA004:-1.5|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA005_DropoutOutsideUnitInterval() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Dropout({|LORA005:1.0|}));
        }
        """);

    [Fact]
    public Task LORA006_LayersOutsideKnownDepth() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Bert), KnownDepth = 6)]
        [Target("query", Layers = "0..6")]
        [Target("value", Layers = {|LORA006:"4..8"|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA007_DuplicateAndOverlappingTargets() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Target("q_proj", Layers = "0..4")]
        [Target("q_proj", Layers = "4..8")]
        [TargetPreset({|LORA007:Preset.QV|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA008_LayersOnSharedModule() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Target("lm_head", Layers = {|LORA008:"0..2"|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA009_RecipeNotPartial() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public class {|LORA009:R|} { }
        """);

    [Fact]
    public Task LORA010_TwoRecipesWithOneName() => Verify.Analyzer(Usings + """
        [LoraRecipe("same", typeof(Llama))]
        public partial class A;

        [LoraRecipe({|LORA010:"same"|}, typeof(Gpt2))]
        public partial class B;
        """);

    [Fact]
    public Task LORA011_MalformedPathTemplate() => Verify.Analyzer(Usings + """
        [LoraArchitecture("broken")]
        [LoraModule("q", {|LORA011:"layers..{layer}.q"|}, ModuleKind.Linear, ModuleRole.Query)]
        [LoraModule("k", {|LORA011:"layers.{index}.k"|}, ModuleKind.Linear, ModuleRole.Key)]
        public static partial class Broken;
        """);

    [Fact]
    public Task LORA012_DuplicateModuleName() => Verify.Analyzer(Usings + """
        [LoraArchitecture("twice")]
        [LoraModule("q", "layers.{layer}.q", ModuleKind.Linear, ModuleRole.Query)]
        [LoraModule({|LORA012:"q"|}, "layers.{layer}.query", ModuleKind.Linear, ModuleRole.Query)]
        public static partial class Twice;
        """);

    [Fact]
    public Task LORA013_ArchitectureTypeWithoutDeclaration() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", {|LORA013:typeof(string)|})]
        public partial class R;
        """);

    [Fact]
    public Task LORA014_MalformedLayers() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.TargetLayers({|LORA014:"3..1"|}, "q_proj"));
        }
        """);

    [Fact]
    public Task LORA015_SettingsOutsideTheirRange() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Setting("training.warmup_fraction", {|LORA015:"0.6"|})]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r
                .Data(d => d.MaxTokens({|LORA015:0|}).ValidationFraction({|LORA015:1.0|}).MaxRecords({|LORA015:-5|}))
                .Training(t => t.LearningRate({|LORA015:0|}).Epochs({|LORA015:0|}).MaxSteps({|LORA015:-1|})
                    .BatchSize({|LORA015:0|}).GradientAccumulation({|LORA015:0|}).WarmupSteps({|LORA015:-2|})
                    .WarmupFraction({|LORA015:-0.1|}).Betas({|LORA015:1.0|}, 0.999));
        }
        """);

    [Fact]
    public Task LORA015_MessageNamesKeyMethodAndRange() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Training(t => t.Epochs({|#0:0|}));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA015").WithLocation(0)
            .WithMessage("Setting 'training.epochs' (Training.Epochs) must be positive, got 0."));

    [Fact]
    public Task LORA016_UnusualLearningRate_AndNoValidation() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r
                .Data(d => d.ValidationFraction({|#1:0|}))
                .Training(t => t.LearningRate({|#0:0.5|}).LearningRate(1e-4));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA016").WithLocation(0)
            .WithMessage("Setting 'training.lr' is 0.5, outside the usual LoRA range [1E-06, 0.01]; check the value."),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA016").WithLocation(1)
            .WithMessage("Setting 'data.validation_fraction' is 0: no validation split: the training loop has no evaluation and no best checkpoint."));

    [Fact]
    public Task LORA017_UnknownSettingKey() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Setting({|#0:"traning.lr"|}, "1e-3")]
        [Setting({|LORA017:"quantization.bits"|}, "4")]
        [Setting("training.learning_rate", "1e-3")]
        public partial class R;
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA017").WithLocation(0)
            .WithMessage("Recipe 'r' has no setting 'traning.lr' (did you mean 'training.lr'?); known keys: "
                + string.Join(", ", LoraDsl.Recipes.Settings.RecipeSettings.Keys) + "."));

    [Fact]
    public Task LORA018_SettingTextNotOfItsKind() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Setting("training.epochs", {|LORA018:"three"|})]
        [Setting("training.lr", {|LORA018:"fast"|})]
        [Setting("lora.use_dora", {|LORA018:"yes"|})]
        [Setting("training.decay", {|#0:"cosin"|})]
        [Setting("training.decay", "cosine")]
        public partial class R;
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA018").WithLocation(0)
            .WithMessage("Setting 'training.decay' is one of linear, cosine, constant, got 'cosin'."));

    [Fact]
    public Task LORA019_DataFileNotInTheProjectFolder() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Setting("data.files", {|LORA019:"data/missing.csv"|})]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Data(d => d
                .JsonLines("data/train.jsonl", {|#0:"data/tran.jsonl"|}, "./data/../data/train.jsonl", "/elsewhere/x.jsonl", "/proj/data/train.jsonl"));
        }
        """, ("/proj/", ["/proj/data/train.jsonl", "/proj/Recipe.cs"]),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA019").WithLocation(0)
            .WithMessage("Data file 'data/tran.jsonl' is not in the project folder '/proj'; recipe paths are relative to the project folder: fix the path or add the file"));

    [Fact]
    public Task LORA019_NotCheckedWhenTheBuildDoesNotListTheProjectFiles() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Data(d => d.JsonLines("data/missing.jsonl"));
        }
        """);

    [Fact]
    public Task LORA020_TaskDoesNotFitTheArchitecture() => Verify.Analyzer(Usings + """
        [LoraRecipe("llama", typeof(Llama))]
        public partial class A
        {
            static void Configure(RecipeBuilder r) => r.Data(d => d.{|#0:Classification|}("text", "label"));
        }

        [LoraRecipe("bert", typeof(Bert))]
        public partial class B
        {
            static void Configure(RecipeBuilder r) => r.Data(d => d.InstructionTuning().{|LORA020:CausalLanguageModeling|}());
        }

        [LoraRecipe("bert-classifier", typeof(Bert))]
        public partial class C
        {
            // The last statement counts: causal LM is replaced by classification.
            static void Configure(RecipeBuilder r) => r.Data(d => d.CausalLanguageModeling().Classification());
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA020").WithLocation(0)
            .WithMessage("Data task 'classification' does not fit architecture 'llama': it has no sequence-classification head (a module with role Classifier); use 'causal_lm' or 'instruction' with this architecture"));

    [Fact]
    public Task LORA021_LoraOnAModuleKindItCannotAdapt() => Verify.Analyzer(Usings + """
        [LoraArchitecture("normed")]
        [LoraModule("q", "layers.{layer}.q", ModuleKind.Linear, ModuleRole.Query)]
        [LoraModule("norm", "norm", (ModuleKind)7, ModuleRole.Output)]
        public static partial class Normed;

        [LoraRecipe("r", typeof(Normed))]
        [Target({|#0:"norm"|})]
        [Target("q")]
        public partial class R;

        [LoraRecipe("s", typeof(Llama))]
        public partial class S
        {
            // Targeting an embedding is fine; AllLinear leaves it out.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("embed_tokens").Preset(Preset.AllLinear));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA021").WithLocation(0)
            .WithMessage("Module 'norm' (7) cannot take LoRA: LoRA adapts Linear, Conv1D and Embedding modules; drop it from the targets"));

    [Fact]
    public Task LORA021_Qwen3sQueryNormIsNotALoraTarget() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Qwen3))]
        [Target({|#0:"q_norm"|})]
        public partial class R
        {
            // The typed handle is refused as the name is; AllLinear leaves the norms out.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target({|#1:Qwen3.KNorm|}).Preset(Preset.AllLinear));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA021").WithLocation(0)
            .WithMessage("Module 'model.layers.{layer}.self_attn.q_norm' (Norm: its weight is one scale per feature, a vector a low-rank update cannot improve on; train it with modules_to_save instead) cannot take LoRA: LoRA adapts Linear, Conv1D and Embedding modules; drop it from the targets"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA021").WithLocation(1)
            .WithMessage("Module 'model.layers.{layer}.self_attn.k_norm' (Norm: its weight is one scale per feature, a vector a low-rank update cannot improve on; train it with modules_to_save instead) cannot take LoRA: LoRA adapts Linear, Conv1D and Embedding modules; drop it from the targets"));

    [Fact]
    public Task LORA022_Phi3sFusedQkvSliceWithDora() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Phi3))]
        [Lora(UseDora = true)]
        [Target({|LORA022:ModuleRole.Key|})]
        [Target("gate_up_proj")]
        public partial class R;
        """);

    [Fact]
    public Task LORA022_DoraOnAFusedSlice() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Gpt2))]
        [Lora(UseDora = true)]
        [Target({|#0:ModuleRole.Query|})]
        [TargetPreset({|LORA022:Preset.QV|})]
        [Target("c_fc")]
        public partial class R;

        [LoraRecipe("whole", typeof(Gpt2))]
        public partial class Whole
        {
            // DoRA on all of c_attn is fine.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Dora().Target("c_attn"));
        }

        [LoraRecipe("off", typeof(Gpt2))]
        [Target(ModuleRole.Query)]
        public partial class Off
        {
            // A slice without DoRA is fine: the last statement turns it off.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Dora().Dora(false));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA022").WithLocation(0)
            .WithMessage("DoRA cannot adapt part of fused module 'c_attn' (roles Query of Query, Key, Value): its magnitude covers whole rows; target the whole module or disable DoRA"),
        // QV after Query overlaps on the Query slice.
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA007").WithSpan(7, 15, 7, 24).WithArguments("QV", "c_attn"));

    [Fact]
    public Task LORA023_SettingsThatAnotherSettingMakesPointless() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Setting("data.labels", {|#0:"ham,spam"|})]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r
                .Data(d => d.CausalLanguageModeling().ValidationFraction({|#1:0|}))
                .Training(t => t.EvalEvery({|#2:50|}));
        }

        [LoraRecipe("s", typeof(Llama))]
        public partial class S
        {
            // Evaluation only at the end, and the validation split a later statement brings back: nothing to say.
            static void Configure(RecipeBuilder r) => r.Data(d => d.ValidationFraction({|#3:0|}).ValidationFraction(0.1)).Training(t => t.EvalEvery(50));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA023").WithLocation(0)
            .WithMessage("Setting 'data.labels' has no effect: the data task is 'causal_lm', and labels are read for classification only; remove it or change the other setting"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA016").WithLocation(1),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA023").WithLocation(2)
            .WithMessage("Setting 'training.eval_every' has no effect: data.validation_fraction is 0, so there is no validation split to evaluate; remove it or change the other setting"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("LORA016").WithLocation(3));

    [Fact]
    public Task LORA024_AdaLoraWithDora() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        [Lora(UseDora = true)]
        public partial class R
        {
            // Reported on the later of the two: AdaLoRA, stated after the attribute's DoRA.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.{|#0:AdaLora|}().Target("q_proj"));
        }

        [LoraRecipe("s", typeof(Llama))]
        public partial class S
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.AdaLora().Target("q_proj").{|#1:Dora|}());
        }

        [LoraRecipe("off", typeof(Llama))]
        public partial class Off
        {
            // DoRA turned off again by a later statement: fine.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Dora().AdaLora().Dora(false).Target("q_proj"));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA024").WithLocation(0)
            .WithMessage("AdaLoRA does not support DoRA (PEFT refuses the combination too): turn one of them off"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA024").WithLocation(1));

    [Fact]
    public Task LORA025_AdaLoraRanksAndScheduleThatCannotWork() => Verify.Analyzer(Usings + """
        [LoraRecipe("r", typeof(Llama))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.AdaLora().AdaLoraTargetR(16).AdaLoraInitR({|#0:8|}).Target("q_proj"));
        }

        [LoraRecipe("defaults", typeof(Llama))]
        public partial class Defaults
        {
            // init_r unset: its default 12 is below 16.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.AdaLora().AdaLoraTargetR({|#1:16|}).Target("q_proj"));
        }

        [LoraRecipe("schedule", typeof(Llama))]
        public partial class Schedule
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.AdaLora().AdaLoraTotalStep(100).AdaLoraTInit(60).AdaLoraTFinal({|#2:40|}).Target("q_proj"));
        }

        [LoraRecipe("fine", typeof(Llama))]
        public partial class Fine
        {
            // A schedule with a budgeting phase, a total_step that is no constant, or AdaLoRA off: nothing to say.
            static void Configure(RecipeBuilder r) => r
                .Lora(l => l.AdaLora().AdaLoraTargetR(4).AdaLoraInitR(8).AdaLoraTotalStep(100).AdaLoraTInit(50).AdaLoraTFinal(49).Target("q_proj"));
        }

        [LoraRecipe("unknown", typeof(Llama))]
        public partial class Unknown
        {
            static int steps = 10;
            static void Configure(RecipeBuilder r) => r.Lora(l => l.AdaLora().AdaLoraTotalStep(steps).AdaLoraTInit(60).AdaLoraTFinal(40).Target("q_proj"));
        }

        [LoraRecipe("off", typeof(Llama))]
        public partial class Off
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.AdaLoraTargetR(16).AdaLoraInitR(8).Target("q_proj"));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA025").WithLocation(0)
            .WithMessage("AdaLoRA's target_r (16) must not exceed init_r (8): the rank budget only shrinks"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA025").WithLocation(1)
            .WithMessage("AdaLoRA's target_r (16) must not exceed init_r (12): the rank budget only shrinks"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA025").WithLocation(2)
            .WithMessage("AdaLoRA's schedule leaves no budgeting phase: tinit (60) + tfinal (40) must be below total_step (100); decrease tinit/tfinal or increase total_step"));

    [Fact]
    public Task LORA026_NeftuneWithoutInputEmbeddings() => Verify.Analyzer(Usings + """
        [LoraArchitecture("bare")]
        [LoraModule("q", "layers.{layer}.q", ModuleKind.Linear, ModuleRole.Query)]
        public static partial class Bare;

        [LoraRecipe("r", typeof(Bare))]
        public partial class R
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("q")).Training(t => t.Neftune({|#0:5|}));
        }

        [LoraRecipe("llama", typeof(Llama))]
        public partial class WithEmbeddings
        {
            // LLaMA declares embed_tokens (role Embedding): fine.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Target("q_proj")).Training(t => t.Neftune(5));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA026").WithLocation(0)
            .WithMessage("NEFTune adds noise to the input embeddings, but architecture 'bare' declares no module of role Embedding; remove training.neftune_alpha or declare the embedding module"));

    [Fact]
    public Task LORA029_DoraPissaAdaLoraAndSlicesOnAnEmbedding() => Verify.Analyzer(Usings + """
        [LoraRecipe("dora", typeof(Llama))]
        [Lora(UseDora = true)]
        [Target({|#0:"embed_tokens"|})]
        [Target("q_proj")]
        public partial class Dora;

        [LoraRecipe("pissa", typeof(Gpt2))]
        public partial class Pissa
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Init(LoraDsl.Lora.LoraInit.Pissa).Target({|#1:ModuleRole.Embedding|}).Target("c_attn"));
        }

        [LoraRecipe("adalora", typeof(Llama))]
        public partial class AdaLora
        {
            static void Configure(RecipeBuilder r) => r.Lora(l => l.AdaLora().Target("q_proj").Target({|#2:Llama.EmbedTokens|}));
        }

        [LoraArchitecture("fused-table")]
        [LoraFusedModule("tables", "tables", ModuleKind.Embedding, ModuleRole.Embedding, ModuleRole.Head)]
        public static partial class FusedTable;

        [LoraRecipe("slice", typeof(FusedTable))]
        [Target({|#3:ModuleRole.Embedding|})]
        public partial class Slice;

        [LoraRecipe("plain", typeof(Llama))]
        public partial class Plain
        {
            // Gaussian init, DoRA turned off again, and a whole fused table: plain LoRA, nothing to say.
            static void Configure(RecipeBuilder r) => r.Lora(l => l.Init(LoraDsl.Lora.LoraInit.Gaussian).Dora().Dora(false).Target("embed_tokens"));
        }
        """, null,
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA029").WithLocation(0)
            .WithMessage("DoRA supports Linear and Conv1D modules only; module 'model.embed_tokens' is an Embedding: drop it from the targets or disable DoRA (lora.use_dora)"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA029").WithLocation(1)
            .WithMessage("lora.init=pissa starts LoRA from the weight's SVD on Linear and Conv1D modules only; module 'transformer.wte' is an Embedding, where LoRA is plain (as in PEFT): drop it from the targets or use lora.init=default or gaussian"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA029").WithLocation(2)
            .WithMessage("AdaLoRA adapts Linear and Conv1D modules only (as PEFT's AdaLoraModel); module 'model.embed_tokens' is an Embedding: drop it from the targets or turn AdaLoRA off (lora.use_adalora)"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA029").WithLocation(3)
            .WithMessage("Module 'tables' is an Embedding: LoRA there covers every output column, not a slice; target the whole module"));

    [Fact]
    public Task ValidRecipes_ReportNothing_AndNonConstantsAreLeftToRunTime() => Verify.Analyzer(Usings + """
        [LoraRecipe("gpt", typeof(Gpt2), KnownDepth = 12)]
        [Lora(Rank = 8, Alpha = 16, Dropout = 0.1)]
        [Target(ModuleRole.Query)]
        [Target(ModuleRole.Value)]
        [Target("dense")]
        public partial class Gpt;

        [LoraRecipe("bert", typeof(Bert))]
        public partial class BertRecipe
        {
            static int rank = 0;
            static string layers = "99";
            static void Configure(RecipeBuilder r) => r
                .Lora(l => l.Rank(rank).Target(ModuleRole.Query).TargetLayers(layers, "value").Target("dense"))
                .Model(m => m.BuiltIn("minilm"));
        }
        """,
        // "dense" is unknown on GPT-2 (no suffix match); on BERT it selects the three dense layers.
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("LORA001").WithSpan(8, 9, 8, 16));
}
