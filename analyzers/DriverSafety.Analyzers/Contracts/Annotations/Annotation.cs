using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Annotations
{
    /// <summary>
    /// One DriverSafety attribute as every reader sees it: written in source (or compiled into a referenced assembly) as a
    /// real attribute, or read from a line of an external annotations file (<c>DriverSafety.Annotations.txt</c>). Both
    /// have the same attribute class and the same typed arguments; only where they are written differs.
    /// </summary>
    internal sealed class Annotation
    {
        public Annotation(
            INamedTypeSymbol? attributeClass,
            ImmutableArray<AnnotationValue> constructorArguments,
            ImmutableArray<KeyValuePair<string, AnnotationValue>> namedArguments,
            SyntaxReference? applicationSyntaxReference,
            Location? location,
            bool isExternal)
        {
            AttributeClass = attributeClass;
            ConstructorArguments = constructorArguments;
            NamedArguments = namedArguments;
            ApplicationSyntaxReference = applicationSyntaxReference;
            Location = location;
            IsExternal = isExternal;
        }

        public INamedTypeSymbol? AttributeClass { get; }

        public ImmutableArray<AnnotationValue> ConstructorArguments { get; }

        public ImmutableArray<KeyValuePair<string, AnnotationValue>> NamedArguments { get; }

        /// <summary>The attribute's syntax in this compilation's source; null for metadata and external annotations.</summary>
        public SyntaxReference? ApplicationSyntaxReference { get; }

        /// <summary>Where a problem with the annotation is reported: the attribute in source, or the attribute on its line of the file; null for metadata.</summary>
        public Location? Location { get; }

        /// <summary>True when the annotation was read from an external annotations file.</summary>
        public bool IsExternal { get; }

        public static Annotation FromAttribute(AttributeData attribute)
        {
            var syntax = attribute.ApplicationSyntaxReference;
            return new Annotation(
                attribute.AttributeClass,
                attribute.ConstructorArguments.Select(AnnotationValue.From).ToImmutableArray(),
                attribute.NamedArguments.Select(p => new KeyValuePair<string, AnnotationValue>(p.Key, AnnotationValue.From(p.Value))).ToImmutableArray(),
                syntax,
                syntax is null ? null : Location.Create(syntax.SyntaxTree, syntax.Span),
                isExternal: false);
        }
    }

    /// <summary>A typed constant argument of an <see cref="Annotation"/>, shaped like Roslyn's <see cref="TypedConstant"/>.</summary>
    internal readonly struct AnnotationValue
    {
        public AnnotationValue(TypedConstantKind kind, ITypeSymbol? type, object? value, ImmutableArray<AnnotationValue> values)
        {
            Kind = kind;
            Type = type;
            Value = value;
            ArrayValues = values;
        }

        public TypedConstantKind Kind { get; }

        public ITypeSymbol? Type { get; }

        /// <summary>The value of a primitive or enum constant (an enum's as its underlying integer), or null.</summary>
        public object? Value { get; }

        private ImmutableArray<AnnotationValue> ArrayValues { get; }

        /// <summary>True for a null array (or a null constant).</summary>
        public bool IsNull => Kind == TypedConstantKind.Array ? ArrayValues.IsDefault : Value is null;

        /// <summary>The elements of an array constant (empty for a null one).</summary>
        public ImmutableArray<AnnotationValue> Values => ArrayValues.IsDefault ? ImmutableArray<AnnotationValue>.Empty : ArrayValues;

        public static AnnotationValue From(TypedConstant constant) =>
            constant.Kind == TypedConstantKind.Array
                ? new AnnotationValue(TypedConstantKind.Array, constant.Type, null, constant.IsNull ? default : constant.Values.Select(From).ToImmutableArray())
                : new AnnotationValue(constant.Kind, constant.Type, constant.Value, default);
    }
}
