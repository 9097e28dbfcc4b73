using System.Text;
using LoraDsl.Checkpoints;
using LoraDsl.Tests.TestCheckpoints;
using Xunit;
using static TorchSharp.torch;

namespace LoraDsl.Tests.Checkpoints;

public class SafetensorsFileTests
{
    static string WriteSample(out Dictionary<string, Tensor> tensors)
    {
        var path = Path.Combine(TinyCheckpoints.NewFolder("stf"), "a.safetensors");
        tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = randn(3, 5),
            ["f16"] = randn(4).to(ScalarType.Float16),
            ["bf16"] = randn(2, 2).to(ScalarType.BFloat16),
            ["i64"] = tensor(new long[] { 1, -2, 3 }),
            ["i32"] = tensor(new[] { 7, 8 }),
            ["u8"] = tensor(new byte[] { 1, 255 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["empty"] = zeros(0, 4),
        };
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        return path;
    }

    [Fact]
    public void Reads_every_dtype_back_exactly()
    {
        var path = WriteSample(out var written);
        var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        var read = file.ReadAll();
        Assert.Equal(written.Keys.Order(), read.Keys.Order());
        foreach (var (name, expected) in written)
        {
            Assert.Equal(expected.dtype, read[name].dtype);
            Assert.Equal(expected.shape, read[name].shape);
            Assert.True(read[name].eq(expected).all().item<bool>(), name);
        }
        Assert.Equal(new long[] { 3, 5 }, file.Info("f32").Shape);
    }

    [Fact]
    public void Truncated_file_names_file_and_tensor()
    {
        var path = WriteSample(out _);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("'", e.Message);
    }

    [Fact]
    public void Corrupt_header_json_names_the_file()
    {
        var path = Path.Combine(TinyCheckpoints.NewFolder("stf"), "bad.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"w\": {\"dtype\": \"F32\", ");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)header.Length), .. header, .. new byte[16]]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void Header_length_beyond_the_file_is_rejected()
    {
        var path = Path.Combine(TinyCheckpoints.NewFolder("stf"), "bad.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes(1_000_000L), .. new byte[32]]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("header length 1000000", e.Message);
    }

    [Fact]
    public void Offsets_that_disagree_with_shape_name_the_tensor()
    {
        var path = Path.Combine(TinyCheckpoints.NewFolder("stf"), "bad.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"layer.w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)header.Length), .. header, .. new byte[16]]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("'layer.w'", e.Message);
        Assert.Contains("24", e.Message);
    }

    [Fact]
    public void Unknown_dtype_names_the_tensor()
    {
        var path = Path.Combine(TinyCheckpoints.NewFolder("stf"), "bad.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"q\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)header.Length), .. header, .. new byte[2]]);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path));
        Assert.Contains("'q'", e.Message);
        Assert.Contains("F8_E4M3", e.Message);
    }
}
