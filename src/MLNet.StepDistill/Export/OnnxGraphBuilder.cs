using System.Runtime.InteropServices;
using Google.Protobuf;
using MLNet.StepDistill.T5;
using Onnx;

namespace MLNet.StepDistill.Export;

/// <summary>
/// Writes one ONNX graph node by node (OnnxSharp's protobuf types): inputs and outputs with named dynamic axes,
/// float32 initializers, int64 constants, and operators with attributes. Every intermediate gets a fresh name.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto graph;
    private readonly Dictionary<string, string> constants = new(StringComparer.Ordinal);
    private int counter;

    public OnnxGraphBuilder(string name) => graph = new GraphProto { Name = name };

    /// <summary>Declares a graph input; a string dimension is a named dynamic axis, a long a fixed one.</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Renames <paramref name="value"/> to the graph output <paramref name="name"/>.</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        Node("Identity", [value], name);
        graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A float32 initializer (a weight) with the given shape.</summary>
    public string Weight(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, indices), shared by every use.</summary>
    public string Int64s(params long[] values)
    {
        var key = "i64:" + string.Join(",", values);
        if (constants.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var name = $"const_i64_{constants.Count}";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        graph.Initializer.Add(tensor);
        constants[key] = name;
        return name;
    }

    /// <summary>A scalar int64 constant.</summary>
    public string Int64Scalar(long value)
    {
        var key = "i64s:" + value;
        if (constants.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var name = $"const_i64s_{constants.Count}";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.Add(value);
        graph.Initializer.Add(tensor);
        constants[key] = name;
        return name;
    }

    /// <summary>A scalar float32 constant.</summary>
    public string Float(float value)
    {
        var key = "f32:" + BitConverter.SingleToInt32Bits(value);
        if (constants.TryGetValue(key, out var existing))
        {
            return existing;
        }

        var name = $"const_f32_{constants.Count}";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        graph.Initializer.Add(tensor);
        constants[key] = name;
        return name;
    }

    /// <summary>Adds a node with one output and returns the output's name (fresh unless <paramref name="output"/> is given).</summary>
    public string Node(string op, string[] inputs, string? output = null, params (string Name, object Value)[] attributes) =>
        Nodes(op, inputs, 1, output is null ? null : [output], attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs.</summary>
    public string[] Nodes(string op, string[] inputs, int outputCount, string[]? outputs = null, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{counter}" };
        node.Input.AddRange(inputs);
        var names = outputs ?? Enumerable.Range(0, outputCount).Select(i => $"{op.ToLowerInvariant()}_{counter}_{i}").ToArray();
        counter++;
        node.Output.AddRange(names);
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(Attribute(name, value));
        }

        graph.Node.Add(node);
        return names;
    }

    /// <summary>The finished model: this graph under <paramref name="opset"/>, IR version 8.</summary>
    public ModelProto ToModel(int opset, string producer, string producerVersion)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = producer,
            ProducerVersion = producerVersion,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static AttributeProto Attribute(string name, object value) => value switch
    {
        long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        long[] ints => WithInts(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints }, ints),
        _ => throw new ArgumentException($"Unsupported attribute value {value.GetType().Name} for {name}."),
    };

    private static AttributeProto WithInts(AttributeProto attribute, long[] ints)
    {
        attribute.Ints.AddRange(ints);
        return attribute;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(dim switch
            {
                string param => new TensorShapeProto.Types.Dimension { DimParam = param },
                long value => new TensorShapeProto.Types.Dimension { DimValue = value },
                int value => new TensorShapeProto.Types.Dimension { DimValue = value },
                _ => throw new ArgumentException($"Bad dimension {dim} of {name}."),
            });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
