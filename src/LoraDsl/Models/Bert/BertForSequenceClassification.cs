using LoraDsl.Modules;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace LoraDsl.Models.Bert;

/// <summary>BERT with a linear head on the pooled output: <c>bert.*</c> + <c>classifier</c>, as Hugging Face's class of the same name.</summary>
internal sealed class BertForSequenceClassification : PretrainedModel, IModuleHost, IInputEmbeddings
{
    readonly BertModel bert;
    readonly Dropout dropout;
    nn.Module<Tensor, Tensor> classifier;

    public BertForSequenceClassification(BertConfig config) : base("BertForSequenceClassification", config)
    {
        BertConfig = config;
        bert = new BertModel(config);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        var head = nn.Linear(config.HiddenSize, config.NumLabels);
        classifier = head;
        RegisterComponents();
        InitializeWeights(config.InitializerRange);
    }

    /// <summary>The typed config (a property named Config would hide the base one and break TorchSharp's Module.to).</summary>
    public BertConfig BertConfig { get; }

    public override bool GradientCheckpointing { get; set; }

    public override ModelTask Task => ModelTask.SequenceClassification;

    /// <summary>The encoder under the <c>bert.</c> prefix.</summary>
    public BertModel Bert => bert;

    public Embedding InputEmbeddings => bert.Embeddings.WordEmbeddings;

    /// <summary>Logits [B, num_labels].</summary>
    public override Tensor Forward(ModelInputs inputs)
    {
        using var scope = NewDisposeScope();
        var pooled = bert.Pool(bert.Encode(inputs, GradientCheckpointing && training));
        return classifier.call(dropout.call(pooled)).MoveToOuterDisposeScope();
    }

    /// <summary>The encoder's last hidden state [B,T,H] (for embeddings and comparisons).</summary>
    public Tensor Encode(ModelInputs inputs) => bert.Encode(inputs);

    public nn.Module<Tensor, Tensor> GetChild(string name) =>
        name == "classifier" ? classifier
        : throw new ModuleNotFoundException($"BertForSequenceClassification has no replaceable child '{name}' (classifier).");

    public nn.Module<Tensor, Tensor> ReplaceChild(string name, nn.Module<Tensor, Tensor> replacement)
    {
        var old = GetChild(name);
        this.SwapRegisteredChild(name, replacement);
        classifier = replacement;
        return old;
    }

    /// <summary>Hugging Face's BertPreTrainedModel init: Linear and Embedding weights N(0, range), biases 0, padding row 0, LayerNorm 1/0.</summary>
    void InitializeWeights(double range)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    nn.init.normal_(linear.weight!, 0, range);
                    if (linear.bias is { } bias) nn.init.zeros_(bias);
                    break;
                case Embedding embedding:
                    nn.init.normal_(embedding.weight!, 0, range);
                    break;
                case LayerNorm norm:
                    nn.init.ones_(norm.weight!);
                    nn.init.zeros_(norm.bias!);
                    break;
            }
        }
        var words = ((Embedding)ModuleSurgery.Find(this, "bert.embeddings.word_embeddings")).weight!;
        using var padding = words[BertConfig.PadTokenId];
        padding.zero_();
    }
}
