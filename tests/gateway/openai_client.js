// The official openai npm client against the gateway: a chat completion with a valid key, a streamed one
// (chunks gathered as the SDK yields them), and the error the SDK raises for a bad key.
// usage: node openai_client.js BASE_URL GOOD_KEY  (prints one JSON line)
const OpenAI = require('openai');
const [baseURL, key] = process.argv.slice(2);
(async () => {
  const good = new OpenAI({baseURL, apiKey: key, maxRetries: 0});
  const completion = await good.chat.completions.create({model: 'm', messages: [{role: 'user', content: 'from the sdk'}]});
  const stream = await good.chat.completions.create({model: 'm', stream: true, stream_options: {include_usage: true},
                                                     messages: [{role: 'user', content: 'streamed'}]});
  let streamed = '', chunks = 0, streamUsage = null;
  for await (const chunk of stream) {
    chunks += 1;
    if (chunk.choices.length) streamed += chunk.choices[0].delta.content || '';
    if (chunk.usage) streamUsage = chunk.usage;
  }
  let rejected = null;
  try {
    await new OpenAI({baseURL, apiKey: 'not-a-key', maxRetries: 0}).chat.completions.create({model: 'm', messages: [{role: 'user', content: 'x'}]});
  } catch (e) {
    rejected = {status: e.status, type: e.type || (e.error && e.error.type), name: e.constructor.name};
  }
  console.log(JSON.stringify({content: completion.choices[0].message.content, usage: completion.usage, streamed, chunks,
                              streamUsage, rejected}));
})().catch((e) => { console.log(JSON.stringify({failure: String(e)})); process.exit(1); });
