using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MLNet.StepDistill.Tests.Architecture;

/// <summary>One use of a type in another namespace: <paramref name="Via"/> says where and what (<c>Tasks.Foo.Bar uses Training.Baz</c>).</summary>
public sealed record NamespaceReference(string From, string To, string Via);

/// <summary>The namespaces a compiled assembly defines and every reference between them, however the source wrote it.</summary>
public sealed record AssemblyNamespaces(IReadOnlySet<string> Defined, IReadOnlyList<NamespaceReference> References);

/// <summary>
/// Reads a compiled assembly's metadata and IL (System.Reflection.Metadata): for every type in a namespace that
/// <c>isIncluded</c> accepts, each type it refers to in its base type, interfaces, generic constraints, custom attributes
/// (constructors and <c>typeof</c> arguments), fields, method, property and event signatures, explicit interface
/// implementations, and method bodies (locals, catch clauses, and every token an instruction carries: calls, fields,
/// <c>newobj</c>, casts, <c>ldtoken</c>, ...), with generic arguments and member signatures followed to their types.
/// Nested types, compiler-generated ones included (lambdas, iterators, async state machines), count as their top-level
/// type's namespace. <c>using</c> directives, aliases and partly qualified names are gone by then: only what the code
/// really uses is left. Not seen: what compiles away (a <c>const</c> value, <c>nameof</c>, doc-comment <c>cref</c>s), and
/// assembly-level attributes, which belong to no namespace.
/// </summary>
public static class NamespaceReferenceReader
{
    private static readonly Dictionary<ushort, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => unchecked((ushort)o.Value), o => o.OperandType);

    /// <summary>Reads the assembly at <paramref name="path"/>.</summary>
    public static AssemblyNamespaces Read(string path, Func<string, bool> isIncluded)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var collector = new Collector(metadata, isIncluded);
        var defined = new HashSet<string>();
        foreach (var handle in metadata.TypeDefinitions)
        {
            var (ns, name) = collector.TopLevelName(handle);
            if (!isIncluded(ns))
            {
                continue;
            }

            defined.Add(ns);
            collector.ReadType(pe, handle, ns, name);
        }

        return new AssemblyNamespaces(defined, [.. collector.References]);
    }

    /// <summary>Walks one type's metadata, recording each referenced type's namespace against the current place.</summary>
    private sealed class Collector(MetadataReader metadata, Func<string, bool> isIncluded)
        : ISignatureTypeProvider<object?, object?>, ICustomAttributeTypeProvider<object?>
    {
        private string from = "";
        private string where = "";

        public HashSet<NamespaceReference> References { get; } = [];

        public (string Namespace, string Name) TopLevelName(TypeDefinitionHandle handle)
        {
            var type = metadata.GetTypeDefinition(handle);
            var name = metadata.GetString(type.Name);
            while (!type.GetDeclaringType().IsNil)
            {
                type = metadata.GetTypeDefinition(type.GetDeclaringType());
                name = metadata.GetString(type.Name) + "+" + name;
            }

            return (metadata.GetString(type.Namespace), name);
        }

        public void ReadType(PEReader pe, TypeDefinitionHandle handle, string ns, string name)
        {
            from = ns;
            var typeName = Short(ns, name);
            var type = metadata.GetTypeDefinition(handle);
            At(typeName);
            Entity(type.BaseType);
            Attributes(type.GetCustomAttributes());
            GenericParameters(type.GetGenericParameters());
            foreach (var implementation in type.GetInterfaceImplementations().Select(metadata.GetInterfaceImplementation))
            {
                Entity(implementation.Interface);
                Attributes(implementation.GetCustomAttributes());
            }

            foreach (var field in type.GetFields().Select(metadata.GetFieldDefinition))
            {
                At($"{typeName}.{metadata.GetString(field.Name)}");
                field.DecodeSignature(this, null);
                Attributes(field.GetCustomAttributes());
            }

            foreach (var property in type.GetProperties().Select(metadata.GetPropertyDefinition))
            {
                At($"{typeName}.{metadata.GetString(property.Name)}");
                property.DecodeSignature(this, null);
                Attributes(property.GetCustomAttributes());
            }

            foreach (var @event in type.GetEvents().Select(metadata.GetEventDefinition))
            {
                At($"{typeName}.{metadata.GetString(@event.Name)}");
                Entity(@event.Type);
                Attributes(@event.GetCustomAttributes());
            }

            foreach (var method in type.GetMethods().Select(metadata.GetMethodDefinition))
            {
                At($"{typeName}.{metadata.GetString(method.Name)}");
                method.DecodeSignature(this, null);
                Attributes(method.GetCustomAttributes());
                GenericParameters(method.GetGenericParameters());
                foreach (var parameter in method.GetParameters().Select(metadata.GetParameter))
                {
                    Attributes(parameter.GetCustomAttributes());
                }

                if (method.RelativeVirtualAddress != 0)
                {
                    Body(pe.GetMethodBody(method.RelativeVirtualAddress));
                }
            }

            At(typeName);
            foreach (var implementation in type.GetMethodImplementations().Select(metadata.GetMethodImplementation))
            {
                Entity(implementation.MethodBody);
                Entity(implementation.MethodDeclaration);
            }
        }

        private void At(string place) => where = place;

        private void Body(MethodBodyBlock body)
        {
            if (!body.LocalSignature.IsNil)
            {
                Entity(body.LocalSignature);
            }

            foreach (var region in body.ExceptionRegions)
            {
                Entity(region.CatchType);
            }

            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                var first = il.ReadByte();
                var code = first == 0xFE ? (ushort)(0xFE00 | il.ReadByte()) : first;
                if (!OperandTypes.TryGetValue(code, out var operand))
                {
                    throw new BadImageFormatException($"{where}: unknown IL opcode 0x{code:X}");
                }

                switch (operand)
                {
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok
                        or OperandType.InlineType or OperandType.InlineSig:
                        Entity(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineString or OperandType.ShortInlineR:
                        il.Offset += 4;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineNone:
                        break;
                    default:
                        throw new BadImageFormatException($"{where}: unknown IL operand type {operand}");
                }
            }
        }

        private void GenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var parameter in parameters.Select(metadata.GetGenericParameter))
            {
                Attributes(parameter.GetCustomAttributes());
                foreach (var constraint in parameter.GetConstraints().Select(metadata.GetGenericParameterConstraint))
                {
                    Entity(constraint.Type);
                    Attributes(constraint.GetCustomAttributes());
                }
            }
        }

        private void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var attribute in attributes.Select(metadata.GetCustomAttribute))
            {
                Entity(attribute.Constructor);
                attribute.DecodeValue(this); // typeof(...) arguments are names in the blob: GetTypeFromSerializedName sees them
            }
        }

        /// <summary>Records the types a metadata entity (a type, member, member signature or token) refers to.</summary>
        private void Entity(EntityHandle handle)
        {
            if (handle.IsNil)
            {
                return;
            }

            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification:
                    Type(handle);
                    break;
                case HandleKind.MemberReference:
                    var member = metadata.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        member.DecodeMethodSignature(this, null);
                    }
                    else
                    {
                        member.DecodeFieldSignature(this, null);
                    }

                    break;
                case HandleKind.MethodDefinition:
                    var method = metadata.GetMethodDefinition((MethodDefinitionHandle)handle);
                    Type(method.GetDeclaringType());
                    method.DecodeSignature(this, null);
                    break;
                case HandleKind.FieldDefinition:
                    var field = metadata.GetFieldDefinition((FieldDefinitionHandle)handle);
                    Type(field.GetDeclaringType());
                    field.DecodeSignature(this, null);
                    break;
                case HandleKind.MethodSpecification:
                    var specification = metadata.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(specification.Method);
                    specification.DecodeSignature(this, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var signature = metadata.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (signature.GetKind() == StandaloneSignatureKind.LocalVariables)
                    {
                        signature.DecodeLocalSignature(this, null);
                    }
                    else
                    {
                        signature.DecodeMethodSignature(this, null);
                    }

                    break;
                case HandleKind.ModuleReference or HandleKind.AssemblyReference:
                    break;
                default:
                    throw new BadImageFormatException($"{where}: unexpected metadata entity {handle.Kind}");
            }
        }

        private object? Type(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    var (ns, name) = TopLevelName((TypeDefinitionHandle)handle);
                    Record(ns, name);
                    return handle;
                case HandleKind.TypeReference:
                    var (refNs, refName) = ReferenceName((TypeReferenceHandle)handle);
                    Record(refNs, refName);
                    return handle;
                case HandleKind.TypeSpecification:
                    return metadata.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                default:
                    throw new BadImageFormatException($"{where}: {handle.Kind} is not a type");
            }
        }

        private (string Namespace, string Name) ReferenceName(TypeReferenceHandle handle)
        {
            var type = metadata.GetTypeReference(handle);
            var name = metadata.GetString(type.Name);
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                type = metadata.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
                name = metadata.GetString(type.Name) + "+" + name;
            }

            return (metadata.GetString(type.Namespace), name);
        }

        private void Record(string ns, string name)
        {
            if (ns != from && isIncluded(ns))
            {
                References.Add(new NamespaceReference(from, ns, $"{where} uses {Short(ns, name)}"));
            }
        }

        /// <summary>A name without the library's prefix: <c>Tasks.Foo</c>, or <c>Foo</c> in the root namespace.</summary>
        private static string Short(string ns, string name)
        {
            var row = NamespaceTable.RowOf(ns) is null ? ns : ns[Math.Min(ns.Length, NamespaceTable.LibraryNamespace.Length + 1)..];
            return row.Length == 0 ? name : $"{row}.{name}";
        }

        // ISignatureTypeProvider / ICustomAttributeTypeProvider: named types are recorded where they appear; the
        // returned value is the type's handle (attribute decoding asks for an enum's underlying type by it), else null.
        public object? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => Type(handle);

        public object? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => Type(handle);

        public object? GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            Type(handle);

        public object? GetTypeFromSerializedName(string name)
        {
            var names = SerializedTypeName.FullNames(name);
            foreach (var fullName in names)
            {
                var topLevel = fullName.Split('+')[0];
                var dot = topLevel.LastIndexOf('.');
                Record(dot < 0 ? "" : topLevel[..dot], dot < 0 ? fullName : fullName[(dot + 1)..]);
            }

            return new SerializedTypeName(names[0]);
        }

        public PrimitiveTypeCode GetUnderlyingEnumType(object? type)
        {
            var runtimeType = type switch
            {
                SerializedTypeName serialized => LoadedType(serialized.FullName),
                EntityHandle h => RuntimeType(h),
                _ => throw new BadImageFormatException($"{where}: an attribute argument's enum type is not a named type"),
            };
            return System.Type.GetTypeCode(runtimeType.GetEnumUnderlyingType()) switch
            {
                TypeCode.SByte => PrimitiveTypeCode.SByte,
                TypeCode.Byte => PrimitiveTypeCode.Byte,
                TypeCode.Int16 => PrimitiveTypeCode.Int16,
                TypeCode.UInt16 => PrimitiveTypeCode.UInt16,
                TypeCode.Int32 => PrimitiveTypeCode.Int32,
                TypeCode.UInt32 => PrimitiveTypeCode.UInt32,
                TypeCode.Int64 => PrimitiveTypeCode.Int64,
                TypeCode.UInt64 => PrimitiveTypeCode.UInt64,
                var other => throw new BadImageFormatException($"{where}: enum {runtimeType} has the underlying type {other}"),
            };
        }

        /// <summary>The loaded type of a type handle (for attribute enums): from its assembly, by name.</summary>
        private System.Type RuntimeType(EntityHandle handle)
        {
            string ns, name;
            AssemblyName assembly;
            if (handle.Kind == HandleKind.TypeDefinition)
            {
                (ns, name) = TopLevelName((TypeDefinitionHandle)handle);
                assembly = metadata.GetAssemblyDefinition().GetAssemblyName();
            }
            else
            {
                (ns, name) = ReferenceName((TypeReferenceHandle)handle);
                var scope = metadata.GetTypeReference((TypeReferenceHandle)handle).ResolutionScope;
                while (scope.Kind == HandleKind.TypeReference)
                {
                    scope = metadata.GetTypeReference((TypeReferenceHandle)scope).ResolutionScope;
                }

                assembly = scope.Kind == HandleKind.AssemblyReference
                    ? metadata.GetAssemblyReference((AssemblyReferenceHandle)scope).GetAssemblyName()
                    : metadata.GetAssemblyDefinition().GetAssemblyName();
            }

            var fullName = ns.Length == 0 ? name : $"{ns}.{name}";
            return Assembly.Load(assembly).GetType(fullName, throwOnError: true)!;
        }

        /// <summary>A type named in an attribute blob without its assembly: looked up in the assemblies loaded now.</summary>
        private System.Type LoadedType(string fullName) =>
            AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(fullName)).FirstOrDefault(t => t is not null)
            ?? throw new InvalidOperationException($"{where}: an attribute argument's enum type {fullName} is in no loaded assembly");

        public object? GetSystemType() => new SerializedTypeName("System.Type");

        public bool IsSystemType(object? type) => type switch
        {
            SerializedTypeName t => t.FullName == "System.Type",
            EntityHandle { Kind: HandleKind.TypeReference } h => ReferenceName((TypeReferenceHandle)h) is ("System", "Type"),
            _ => false,
        };

        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;

        public object? GetSZArrayType(object? elementType) => null;

        public object? GetArrayType(object? elementType, ArrayShape shape) => null;

        public object? GetByReferenceType(object? elementType) => null;

        public object? GetPointerType(object? elementType) => null;

        public object? GetPinnedType(object? elementType) => null;

        public object? GetGenericInstantiation(object? genericType, ImmutableArray<object?> typeArguments) => null;

        public object? GetGenericMethodParameter(object? genericContext, int index) => null;

        public object? GetGenericTypeParameter(object? genericContext, int index) => null;

        public object? GetModifiedType(object? modifier, object? unmodifiedType, bool isRequired) => null;

        public object? GetFunctionPointerType(MethodSignature<object?> signature) => null;
    }
}

/// <summary>A type named in a custom attribute's blob (<c>typeof</c> arguments, boxed enums): its full name.</summary>
internal sealed record SerializedTypeName(string FullName)
{
    /// <summary>
    /// The full names in a serialized (assembly-qualified) type name, its own first, then its generic arguments':
    /// <c>A.B`1[[C.D, Asm]], Asm</c> gives <c>A.B`1</c> and <c>C.D</c>; array and pointer suffixes and the assembly parts
    /// are dropped.
    /// </summary>
    public static IReadOnlyList<string> FullNames(string serialized)
    {
        var names = new List<string>();
        var at = 0;
        Parse(serialized, ref at, names);
        return names;
    }

    private static void Parse(string text, ref int at, List<string> names)
    {
        var start = at;
        while (at < text.Length && text[at] is not ('[' or ']' or ',' or '*' or '&'))
        {
            at++;
        }

        names.Add(text[start..at].Trim());
        if (at + 1 < text.Length && text[at] == '[' && text[at + 1] == '[')
        {
            at++; // the generic argument list
            while (at < text.Length && text[at] == '[')
            {
                at++;
                Parse(text, ref at, names);
                at++; // past the argument's ']'
                if (at < text.Length && text[at] == ',')
                {
                    at++;
                }
            }

            at++; // past the list's ']'
        }

        // Array and pointer suffixes, then the assembly part: skip to the ']' that closes this name (or the end).
        var depth = 0;
        while (at < text.Length && !(text[at] == ']' && depth == 0))
        {
            depth += text[at] == '[' ? 1 : text[at] == ']' ? -1 : 0;
            at++;
        }
    }
}
