global using System.Reflection;
global using Xunit;
