from libdnn import classification, regression, autoencoder


Classifier = classification.Classifier
Regressor = regression.Regressor
AutoEncoder = autoencoder.AutoEncoder
StackedAutoEncoder = autoencoder.StackedAutoEncoder
