namespace Ringmaster.Agents.Tests;

/// <summary>The servers of an agent given several (<c>--server a,b</c>): which one it dials, and the next when one fails.</summary>
public sealed class ServerFailoverTests
{
    [Fact]
    public void Parse_TwoAddresses_DialsTheFirstAndRoutesHubRequestsAndWebSocketsToIt()
    {
        var (servers, error) = ServerFailover.Parse(" http://127.0.0.1:5080 , https://127.0.0.1:5443");

        Assert.Null(error);
        Assert.NotNull(servers);
        Assert.Equal(2, servers.Servers.Count);
        Assert.Equal(new Uri("http://127.0.0.1:5080"), servers.Current);
        Assert.Equal(new Uri("http://127.0.0.1:5080/hubs/agents/negotiate?negotiateVersion=1"),
            servers.Route(new Uri("http://127.0.0.1:5080/hubs/agents/negotiate?negotiateVersion=1")));
    }

    [Fact]
    public void Failed_TheServerDialledNow_NextDialGoesToTheNext_OnceHoweverManyRequestsFailed()
    {
        var (servers, _) = ServerFailover.Parse("http://127.0.0.1:5080,https://127.0.0.1:5443");
        var moves = new List<(Uri From, Uri To)>();
        servers!.Moved += (from, to) => moves.Add((from, to));

        servers.Failed(new Uri("http://127.0.0.1:5080/hubs/agents/negotiate"));
        servers.Failed(new Uri("ws://127.0.0.1:5080/hubs/agents?id=1"));

        Assert.Equal(new Uri("https://127.0.0.1:5443"), servers.Current);
        Assert.Equal(new Uri("wss://127.0.0.1:5443/hubs/agents?id=1"), servers.Route(new Uri("ws://127.0.0.1:5080/hubs/agents?id=1")));
        Assert.Equal([(new Uri("http://127.0.0.1:5080"), new Uri("https://127.0.0.1:5443"))], moves);

        // The second fails too: round to the first again.
        servers.Failed(new Uri("https://127.0.0.1:5443/hubs/agents/negotiate"));
        Assert.Equal(new Uri("http://127.0.0.1:5080"), servers.Current);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ftp://127.0.0.1")]
    [InlineData("http://127.0.0.1:5080,not an address")]
    public void Parse_NotHttpAddresses_Refused(string text)
    {
        var (servers, error) = ServerFailover.Parse(text);

        Assert.Null(servers);
        Assert.NotNull(error);
    }
}
