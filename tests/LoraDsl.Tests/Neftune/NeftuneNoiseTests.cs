using LoraDsl.Models;
using LoraDsl.Models.Bert;
using LoraDsl.Models.Gpt2;
using LoraDsl.Models.Llama;
using LoraDsl.Modules;
using LoraDsl.Neftune;
using LoraDsl.Tests.Lora.TestModels;
using LoraDsl.Tests.TestCheckpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Neftune;

public class NeftuneNoiseTests
{
    const double Alpha = 5;

    public static TheoryData<string> Models => ["llama", "gpt2", "bert"];

    static PretrainedModel Create(string kind)
    {
        manual_seed(11);
        return kind switch
        {
            "llama" => new LlamaForCausalLM(LlamaConfig.FromJson(TinyCheckpoints.LlamaConfig(new TinyLlamaSpec { Vocab = 40 }), null)),
            "gpt2" => new Gpt2LMHeadModel(Gpt2Config.FromJson(TinyCheckpoints.Gpt2Config(new TinyGpt2Spec { Vocab = 40 }), null)),
            // Dropout off, so that training mode differs from eval mode only by NEFTune.
            _ => new BertForSequenceClassification(BertConfig.FromJson(WithoutDropout(TinyBert.Config()), null)),
        };
    }

    static System.Text.Json.Nodes.JsonObject WithoutDropout(System.Text.Json.Nodes.JsonObject config)
    {
        config["hidden_dropout_prob"] = 0.0;
        config["attention_probs_dropout_prob"] = 0.0;
        return config;
    }

    static ModelInputs Inputs()
    {
        var ids = randint(0, 40, [2, 7], generator: new Generator(5));
        return new ModelInputs(ids) { AttentionMask = ones(2, 7, ScalarType.Int64) };
    }

    [Fact]
    public void Noise_is_uniform_within_alpha_over_root_of_length_times_hidden()
    {
        manual_seed(1);
        const long length = 50, hidden = 64;
        using var embeddings = zeros(40, length, hidden);
        using var noisy = NeftuneNoise.AddNoise(embeddings, Alpha);
        var bound = Alpha / Math.Sqrt(length * hidden);
        Assert.Equal(bound, NeftuneNoise.Magnitude(embeddings, Alpha), 12);
        var max = noisy.abs().max().item<float>();
        Assert.True(max <= bound * (1 + 1e-6), $"max |noise| {max} above {bound}");
        Assert.True(max >= bound * 0.999, $"max |noise| {max} far below {bound}: the range is too narrow");
        // U(-m, m): mean 0, standard deviation m/√3.
        Assert.Equal(0, noisy.mean().item<float>(), bound * 0.01);
        Assert.Equal(bound / Math.Sqrt(3), noisy.std().item<float>(), bound * 0.01);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Eval_and_gradient_free_outputs_are_unchanged_training_outputs_are_noisy(string kind)
    {
        using var model = Create(kind);
        var inputs = Inputs();
        model.train();
        using var plain = model.Forward(inputs).detach();
        using (var noise = NeftuneNoise.Attach(model, new NeftuneOptions { Alpha = Alpha }))
        {
            using var noisy = model.Forward(inputs).detach();
            Assert.False(noisy.allclose(plain, rtol: 0, atol: 1e-6), "training-mode output did not change with NEFTune attached");
            using (no_grad())
            {
                using var generating = model.Forward(inputs);
                Assert.True(Identical.Tensors(generating, plain), "a forward without gradients (generation) got noise");
            }
            model.eval();
            using var evaluated = model.Forward(inputs);
            Assert.True(Identical.Tensors(evaluated, plain), "eval-mode output changed with NEFTune attached");
            model.train();
        }
        using var detached = model.Forward(inputs).detach();
        Assert.True(Identical.Tensors(detached, plain), "output still noisy after the NEFTune hook was disposed");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_hook_perturbs_the_token_embeddings_by_at_most_the_bound(string kind)
    {
        using var model = Create(kind);
        var embedding = ((IInputEmbeddings)model).InputEmbeddings;
        var inputs = Inputs();
        model.train();
        using var noise = NeftuneNoise.Attach(model, new NeftuneOptions { Alpha = Alpha });
        Tensor? seen = null;
        // Registered after NEFTune's hook, so it sees the noisy output.
        var probe = embedding.register_forward_hook((_, _, output) => { seen = output.detach().clone().DetachFromDisposeScope(); return output; });
        using var _ = model.Forward(inputs);
        probe.remove();
        using var clean = embedding.forward(inputs.InputIds);
        using var difference = (seen! - clean).abs();
        var bound = Alpha / Math.Sqrt(inputs.InputIds.shape[1] * embedding.weight!.shape[1]);
        Assert.True(difference.max().item<float>() <= bound * (1 + 1e-5));
        Assert.True(difference.mean().item<float>() > bound / 4, "noise much smaller than uniform ±bound would give (mean |u| = bound/2)");
        seen!.Dispose();
    }

    [Fact]
    public void A_model_without_input_embeddings_is_refused()
    {
        using var model = new TinyLlama();
        var error = Assert.Throws<ModuleNotFoundException>(() => NeftuneNoise.Attach(model, new NeftuneOptions()));
        Assert.Contains("TinyLlama", error.Message);
        Assert.Throws<ArgumentException>(() => new NeftuneOptions { Alpha = 0 }.Validate());
    }
}
